import ArgumentParser
import Foundation
import GatewayCore
import GatewayLinux

/// `gatewayd decode-image FILE...`: what zbar finds in pictures of labels (PNG or PNM), and
/// what gatewayd decodes each symbol to — for technicians checking a label or a camera angle.
/// Exit status 0 when every file had at least one symbol, 1 otherwise.
struct DecodeImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-image",
        abstract: "Find barcodes and QR codes in images (PNG, PNM) with zbar and decode them."
    )

    @Argument(help: ArgumentHelp("Image files.", discussion: "Example: gatewayd decode-image label.png shelf.pnm"))
    var files: [String]

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Print JSON: one document with a result per file.",
            discussion: "Example: gatewayd decode-image --json label.png"
        )
    )
    var json = false

    struct FileResult: Encodable {
        var file: String
        var error: String?
        var symbols: [SymbolResult]
    }

    struct SymbolResult: Encodable {
        var type: String
        var aim: String?
        var text: String?
        var raw: String
        var decoded: DecodedTag?
        var misread: Misread?
    }

    func run() throws {
        let scanner = try BarcodeScanner()
        let decoder = TagDecoder(referenceYear: Calendar(identifier: .gregorian).component(.year, from: Date()))
        var results: [FileResult] = []
        for f in files {
            do {
                let img = try GreyImage.load(path: f)
                let symbols = scanner.scan(img).map { s -> SymbolResult in
                    var r = SymbolResult(
                        type: s.type,
                        aim: s.aim,
                        text: String(validating: s.data, as: UTF8.self),
                        raw: Data(s.data).base64EncodedString()
                    )
                    switch decoder.decode(s.data, symbology: s.aim) {
                    case .success(let d): r.decoded = d
                    case .failure(let m): r.misread = m
                    }
                    return r
                }
                results.append(FileResult(file: f, symbols: symbols))
            } catch {
                results.append(FileResult(file: f, error: "\(error)", symbols: []))
            }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
        } else {
            for r in results {
                if let e = r.error {
                    print("\(r.file): \(e)")
                    continue
                }
                if r.symbols.isEmpty { print("\(r.file): no barcode found") }
                for s in r.symbols {
                    print(
                        "\(r.file): \(s.type) \(s.aim ?? "") \(s.text.map { $0.replacingOccurrences(of: "\u{1D}", with: "<GS>") } ?? "(binary)")"
                    )
                    if let d = s.decoded {
                        print(
                            DecodeCommand.describe(d).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
                        )
                    }
                    if let m = s.misread { print("  misread: \(m)") }
                }
            }
        }
        if results.contains(where: { $0.symbols.isEmpty }) { throw ExitCode(1) }
    }
}
