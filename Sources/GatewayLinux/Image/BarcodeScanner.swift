import CZbar
import GatewayCore

/// Finds barcodes in greyscale images with zbar: every symbology zbar knows (QR, EAN/UPC,
/// Code 128 and GS1-128, Code 39, Code 93, ITF, Codabar, GS1 DataBar, PDF417). zbar does
/// not read Data Matrix. Each symbol comes with the AIM identifier of its symbology so the tag
/// decoder treats it like a scanner's output (GS1-128 → ]C1, EAN-13 → ]E0, GS1 QR → ]Q3 …).
/// One scanner per thread: zbar's image scanner keeps state between calls (not `Sendable`).
public final class BarcodeScanner {
    private let scanner: OpaquePointer

    public struct Symbol: Sendable, Equatable {
        public var type: String
        public var aim: String?
        public var data: [UInt8]
        public var quality: Int
    }

    /// Throws when zbar cannot be loaded (`ZbarLibrary`).
    public init() throws(ZbarLibrary.Unavailable) {
        try ZbarLibrary.load()
        scanner = zbar_image_scanner_create()
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 1)
    }

    deinit { zbar_image_scanner_destroy(scanner) }

    /// fourcc 'Y800' (8-bit grey); zbar_fourcc() is a macro Swift cannot import.
    static let y800: UInt = 0x3030_3859

    /// Not thread-safe: one scanner per thread.
    public func scan(_ image: GreyImage) -> [Symbol] {
        guard let img = zbar_image_create() else { return [] }
        defer { zbar_image_destroy(img) }
        zbar_image_set_format(img, Self.y800)
        zbar_image_set_size(img, UInt32(image.width), UInt32(image.height))
        return image.pixels.withUnsafeBufferPointer { buf -> [Symbol] in
            zbar_image_set_data(img, buf.baseAddress, UInt(buf.count), nil)
            return symbols(img)
        }
    }

    /// Scans a zbar image that is already Y800 (a converted camera frame).
    func scan(zbarImage img: OpaquePointer) -> [Symbol] { symbols(img) }

    private func symbols(_ img: OpaquePointer) -> [Symbol] {
        guard zbar_scan_image(scanner, img) > 0 else { return [] }
        var out: [Symbol] = []
        var sym = zbar_image_first_symbol(img)
        while let s = sym {
            let type = zbar_symbol_get_type(s)
            let len = Int(zbar_symbol_get_data_length(s))
            let data =
                zbar_symbol_get_data(s).map { p in
                    Array(UnsafeRawBufferPointer(start: p, count: len).bindMemory(to: UInt8.self))
                } ?? []
            let gs1 = zbar_symbol_get_modifiers(s) & (1 << ZBAR_MOD_GS1.rawValue) != 0
            out.append(
                Symbol(
                    type: String(cString: zbar_get_symbol_name(type)),
                    aim: Self.aim(type, gs1: gs1),
                    data: data,
                    quality: Int(zbar_symbol_get_quality(s))
                )
            )
            sym = zbar_symbol_next(s)
        }
        return out
    }

    /// AIM identifier (ISO/IEC 15424) for a zbar symbol type.
    static func aim(_ t: zbar_symbol_type_t, gs1: Bool) -> String? {
        switch t {
        case ZBAR_EAN13, ZBAR_UPCA, ZBAR_ISBN13: return "]E0"
        case ZBAR_EAN8: return "]E4"
        case ZBAR_UPCE: return "]E0"
        case ZBAR_CODE128: return gs1 ? "]C1" : "]C0"
        case ZBAR_QRCODE: return gs1 ? "]Q3" : "]Q1"
        case ZBAR_DATABAR, ZBAR_DATABAR_EXP: return "]e0"
        case ZBAR_CODE39: return "]A0"
        case ZBAR_CODE93: return "]G0"
        case ZBAR_I25: return "]I0"
        case ZBAR_CODABAR: return "]F0"
        case ZBAR_PDF417: return "]L0"
        default: return nil
        }
    }
}
