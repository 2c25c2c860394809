// swift-tools-version: 6.2
// gatewayd: capture → decode → redact → seal → spool → forward, for Linux scanner terminals.
//
// Target split (modelled on swift-nio's NIOCore / NIOPosix / CNIO*):
//   GatewayCore    pure value types and logic: event model, label schemas, HPKE sealing,
//                  envelope wire format, config, backoff. No Linux I/O; tested without devices.
//   CLinuxShims    the few Linux calls Glibc does not import cleanly (tee, eventfd, termios, ioctls).
//   CUdev, CZbar, CZlib  libudev (devices, hotplug), zbar (barcodes in images), zlib (PNG).
//   CPCSC, CUSB    pcsc-lite and libusb-1.0 for the NFC readers, loaded only when used.
//   COpenSSL       libcrypto and its tpm2 provider for a device key in a TPM, loaded only then.
//   CGPS           libgps, gpsd's client library, loaded only when [gps] is configured.
//   GatewaySystem  the few process helpers both executables share (clocks, key files, SQLite
//                  process settings, version), so case-server needs none of GatewayLinux.
//   GatewayLinux   the edge: readers (FIFO/stdin, serial tty), the SQLite spool, the HTTPS
//                  forwarder, each a swift-service-lifecycle Service.
//   CaseServerKit  the reference receiver: its routes, case rules and storage (docs/case-server.md).
//   gatewayd, case-server  thin executables.
import Foundation
import PackageDescription

/// The release link of gatewayd (docs/performance.md, "Footprint"): lld, with the functions a
/// running daemon executes laid out together (scripts/gatewayd.order, made by
/// scripts/gen-order-file.py from a profile of a real run) and relative relocations packed
/// (DT_RELR: 3 MiB of .rela.dyn become 26 KiB; glibc ≥ 2.36, Debian 12). lld is part of the
/// Swift toolchain.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let releaseLink: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "--symbol-ordering-file=\(packageRoot)/scripts/gatewayd.order",
            "-Xlinker", "--no-warn-symbol-ordering", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
        ],
        .when(configuration: .release)
    )
]

let package = Package(
    name: "gatewayd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gatewayd", targets: ["gatewayd"]),
        .executable(name: "case-server", targets: ["case-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .target(
            name: "GatewayCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // Thin C over Linux and libc (ioctl, madvise, mallopt) and the one variadic SQLite call
        // Swift cannot make (sqlite3_config); GRDB links the same system libsqlite3.
        .target(name: "CLinuxShims", linkerSettings: [.linkedLibrary("sqlite3")]),
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        // zbar's header at build time (libzbar-dev), the library loaded at run time only when an
        // image is scanned (Sources/CZbar: dlopen), so it is not linked.
        .target(name: "CZbar"),
        // PC/SC's header at build time (libpcsclite-dev), libpcsclite loaded at run time only when
        // an NFC reader uses backend = "pcsc" (Sources/CPCSC: dlopen), so it is not linked.
        .target(name: "CPCSC"),
        // libusb-1.0's header at build time (libusb-1.0-0-dev), the library loaded at run time
        // only for an NFC reader with backend = "usb" or the probe's USB inventory (Sources/CUSB:
        // dlopen), so it is not linked.
        .target(name: "CUSB"),
        // OpenSSL 3's libcrypto and its tpm2 provider, only for a device key in a TPM
        // (`private_key = "tpm:…"`; Sources/COpenSSL: dlopen, no OpenSSL symbol defined here).
        .target(name: "COpenSSL"),
        // libgps's header at build time (libgps-dev), the library loaded at run time only when
        // [gps] is configured (Sources/CGPS: dlopen), so it is not linked.
        .target(name: "CGPS"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "GatewaySystem",
            dependencies: [
                "GatewayCore",
                "CLinuxShims",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "GatewayLinux",
            dependencies: [
                "GatewayCore",
                "GatewaySystem",
                "CLinuxShims",
                "CUdev",
                "CZbar",
                "CPCSC",
                "CUSB",
                "COpenSSL",
                "CGPS",
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The kiosk page's message catalogues (one per language), compiled into the binary.
            resources: [.embedInCode("Kiosk/Resources")]
        ),
        .executableTarget(
            name: "gatewayd",
            dependencies: [
                "GatewayCore",
                "GatewayLinux",
                "GatewaySystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            linkerSettings: releaseLink
        ),
        .target(
            name: "CaseServerKit",
            dependencies: [
                "GatewayCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Insurer webhooks: the HTTP client and the dispatcher's Service.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The console: account passwords (bcrypt) and its server-rendered pages.
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                // bcrypt runs on NIO's blocking thread pool, never on an event loop.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The console's templates and message catalogues, compiled into the binary.
            resources: [.embedInCode("Console/Resources")]
        ),
        // Benchmarks of the per-scan stages (make bench); not part of the package's products.
        .executableTarget(
            name: "gatewayd-bench",
            dependencies: [
                "GatewayCore", "GatewayLinux", "GatewaySystem", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "case-server",
            dependencies: [
                "CaseServerKit",
                "GatewayCore",
                "GatewaySystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore"]),
        .testTarget(
            name: "GatewayLinuxTests",
            dependencies: [
                "GatewayLinux", "GatewayCore", "GatewaySystem", "CLinuxShims", "CGPS",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "GatewaySystemTests", dependencies: ["GatewaySystem", "GatewayCore"]),
        .testTarget(
            name: "CaseServerKitTests",
            dependencies: [
                "CaseServerKit",
                "GatewayCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
)
