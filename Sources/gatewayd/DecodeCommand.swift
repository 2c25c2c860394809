import ArgumentParser
import Foundation
import GatewayCore

/// `gatewayd decode TEXT | --hex HEX`: what gatewayd makes of one scan, for technicians
/// checking a label and for tests. Exit status 0 when it decoded, 65 (EX_DATAERR) on a misread.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract:
            "Decode one scan (text, or --hex bytes) and print the model: symbology, GS1 elements, EPC URIs, badge ids, NDEF records."
    )

    @Argument(
        help: ArgumentHelp(
            "The scanned text (GS as \\x1D or the literal escape \\\\x1D).",
            discussion:
                "Example: gatewayd decode '(01)09506000134352(17)201225' or gatewayd decode '0109506000134352\\x1D17201225'"
        )
    )
    var text: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The scanned bytes in hex instead of text.",
            discussion: "Example: gatewayd decode --hex 3034257BF7194E4000001A85 --hint epc"
        )
    )
    var hex: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "What the bytes are if they cannot say: \(TagDecoder.Hint.allCases.map(\.rawValue).joined(separator: ", ")).",
            discussion: "Example: gatewayd decode --hint em4100 0415A3B2C1"
        )
    )
    var hint: String = "auto"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "AIM symbology id as a reader reported it (e.g. ]E0).",
            discussion: "Example: gatewayd decode --symbology ]E0 4006381333931"
        )
    )
    var symbology: String?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Print JSON.",
            discussion: "Example: gatewayd decode --json ']C101095060001343521720122510ABC'"
        )
    )
    var json = false

    func run() throws {
        guard let h = TagDecoder.Hint(rawValue: hint) else {
            throw ValidationError(
                "--hint must be one of \(TagDecoder.Hint.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let bytes: [UInt8]
        if let hex {
            guard let b = Hex.bytes(hex) else { throw ValidationError("--hex: not hexadecimal") }
            bytes = b
        } else if let text {
            bytes = Array(
                text.replacingOccurrences(of: "\\x1D", with: "\u{1D}").replacingOccurrences(of: "\\x1d", with: "\u{1D}")
                    .utf8
            )
        } else {
            throw ValidationError("give the scanned TEXT or --hex HEX")
        }
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        let result = TagDecoder(referenceYear: year).decode(bytes, symbology: symbology, hint: h)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        switch result {
        case .success(let d):
            if json {
                print(String(decoding: try encoder.encode(d), as: UTF8.self))
            } else {
                print(Self.describe(d))
            }
        case .failure(let m):
            if json {
                print(String(decoding: try encoder.encode(["misread": m]), as: UTF8.self))
            } else {
                print("misread: \(m)")
            }
            throw ExitCode(65)
        }
    }

    static func describe(_ d: DecodedTag) -> String {
        var lines = ["format: \(d.format.rawValue)"]
        if let s = d.symbology { lines.append("symbology: \(s) (\(d.symbologyName ?? "?"))") }
        for e in d.gs1 ?? [] {
            var l = "(\(e.ai)) \(e.title): \(e.value)"
            if let dec = e.decimal { l += "  = \(dec)" }
            if let date = e.date { l += "  = \(date)" }
            lines.append(l)
        }
        if let epc = d.epc {
            lines += [
                "epc scheme: \(epc.scheme), filter \(epc.filter)", "pure identity: \(epc.pureIdentityURI)",
                "tag uri: \(epc.tagURI)",
            ]
            if let es = epc.elementString { lines.append("gs1: \(es)") }
        }
        if let b = d.badge {
            lines.append("\(b.format): \(b.display)" + (b.facility.map { " (facility \($0), card \(b.card))" } ?? ""))
        }
        for r in d.ndef ?? [] {
            lines.append(
                "ndef record tnf \(r.tnf) type \(r.type)" + (r.uri.map { " uri \($0)" } ?? "")
                    + (r.text.map { " text [\(r.language ?? "")] \($0)" } ?? "")
            )
        }
        return lines.joined(separator: "\n")
    }
}
