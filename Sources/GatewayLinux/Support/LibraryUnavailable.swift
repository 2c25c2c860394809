/// A C library gatewayd loads with `dlopen` only when a terminal needs it (zbar for cameras,
/// pcsc-lite and libusb for NFC readers; Sources/CZbar, CPCSC, CUSB): why it could not be
/// loaded, and the package that brings it.
public struct LibraryUnavailable: Error, CustomStringConvertible, Equatable {
    /// What the library is, as the message names it ("zbar, which scans images").
    public var library: String
    /// dlerror's words.
    public var reason: String
    /// The Debian packages to install.
    public var packages: String

    public var description: String {
        "cannot load \(library) (\(reason)); install it with: apt-get install \(packages)"
    }

    /// Runs a shim's loader (`gw_…_load(why, length)`, 0 on success, loaded once) and throws
    /// with the reason it wrote when it failed.
    static func load(
        _ library: String,
        packages: String,
        with loader: (UnsafeMutablePointer<CChar>, Int) -> Int32
    ) throws(LibraryUnavailable) {
        var why = [CChar](repeating: 0, count: 256)
        guard loader(&why, why.count) != 0 else { return }
        let reason = String(decoding: why.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw LibraryUnavailable(library: library, reason: reason, packages: packages)
    }
}
