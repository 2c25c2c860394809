import CZlib
import Foundation

/// An 8-bit greyscale image, the format zbar scans (Y800). Loaded from PNG (any colour type,
/// bit depths 1–16, not interlaced) or PNM (P2, P5, P3, P6) — what qrencode, zint, phones'
/// screenshots converted by a technician, and test generators produce.
public struct GreyImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public enum LoadError: Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case unsupported(String)
        case corrupt(String)

        public var description: String {
            switch self {
            case .unreadable(let s): return "cannot read: \(s)"
            case .unsupported(let s): return "unsupported image: \(s); convert it to PNG or PGM"
            case .corrupt(let s): return "corrupt image: \(s)"
            }
        }
    }

    public static func load(path: String) throws(LoadError) -> GreyImage {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try decode(Array(data))
    }

    public static func decode(_ b: [UInt8]) throws(LoadError) -> GreyImage {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try png(b) }
        if b.count > 2, b[0] == UInt8(ascii: "P"),
            [UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "5"), UInt8(ascii: "6")].contains(b[1])
        {
            return try pnm(b)
        }
        throw .unsupported("not PNG or PNM")
    }

    // MARK: PNM

    static func pnm(_ b: [UInt8]) throws(LoadError) -> GreyImage {
        var i = 2
        func token() -> Int? {
            while i < b.count {
                if b[i] == UInt8(ascii: "#") {
                    while i < b.count && b[i] != 0x0A { i += 1 }
                } else if b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 {
                    i += 1
                } else {
                    break
                }
            }
            var v = 0
            var n = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                v = v * 10 + Int(b[i] - 0x30)
                i += 1
                n += 1
                if v > 1 << 24 { return nil }
            }
            return n > 0 ? v : nil
        }
        guard let w = token(), let h = token(), let maxv = token(), w > 0, h > 0, w * h <= 1 << 26, maxv > 0,
            maxv < 65536
        else { throw .corrupt("PNM header") }
        let color = b[1] == UInt8(ascii: "3") || b[1] == UInt8(ascii: "6")
        let binary = b[1] == UInt8(ascii: "5") || b[1] == UInt8(ascii: "6")
        let channels = color ? 3 : 1
        var samples: [Int] = []
        samples.reserveCapacity(w * h * channels)
        if binary {
            i += 1
            let bps = maxv > 255 ? 2 : 1
            guard i + w * h * channels * bps <= b.count else { throw .corrupt("PNM data is short") }
            for k in 0..<(w * h * channels) {
                samples.append(bps == 1 ? Int(b[i + k]) : Int(b[i + 2 * k]) << 8 | Int(b[i + 2 * k + 1]))
            }
        } else {
            for _ in 0..<(w * h * channels) {
                guard let v = token() else { throw .corrupt("PNM data is short") }
                samples.append(v)
            }
        }
        var px = [UInt8](repeating: 0, count: w * h)
        for p in 0..<(w * h) {
            let v =
                channels == 1
                ? samples[p] : (samples[3 * p] * 299 + samples[3 * p + 1] * 587 + samples[3 * p + 2] * 114) / 1000
            px[p] = UInt8(min(255, v * 255 / maxv))
        }
        return GreyImage(width: w, height: h, pixels: px)
    }

    // MARK: PNG (ISO/IEC 15948)

    static func png(_ b: [UInt8]) throws(LoadError) -> GreyImage {
        var i = 8
        var width = 0
        var height = 0
        var depth = 0
        var colorType = 0
        var palette: [UInt8] = []
        var idat: [UInt8] = []
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        while i + 8 <= b.count {
            let len = be32(i)
            let type = String(decoding: b[i + 4..<i + 8], as: UTF8.self)
            guard len >= 0, i + 12 + len <= b.count else { throw .corrupt("chunk \(type) runs past the end") }
            let data = b[i + 8..<i + 8 + len]
            switch type {
            case "IHDR":
                guard len == 13 else { throw .corrupt("IHDR") }
                let d = Array(data)
                width = Int(d[0]) << 24 | Int(d[1]) << 16 | Int(d[2]) << 8 | Int(d[3])
                height = Int(d[4]) << 24 | Int(d[5]) << 16 | Int(d[6]) << 8 | Int(d[7])
                depth = Int(d[8])
                colorType = Int(d[9])
                guard d[12] == 0 else { throw .unsupported("interlaced PNG") }
                guard width > 0, height > 0, width <= 16384, height <= 16384 else {
                    throw .unsupported("\(width)×\(height) pixels")
                }
            case "PLTE": palette = Array(data)
            case "IDAT": idat += data
            case "IEND":
                i = b.count
                continue
            default: break
            }
            i += 12 + len
        }
        guard width > 0 else { throw .corrupt("no IHDR") }
        let channels: Int
        switch colorType {
        case 0: channels = 1
        case 2: channels = 3
        case 3: channels = 1
        case 4: channels = 2
        case 6: channels = 4
        default: throw .unsupported("PNG colour type \(colorType)")
        }
        guard [1, 2, 4, 8, 16].contains(depth) else { throw .unsupported("bit depth \(depth)") }
        let bitsPerPixel = channels * depth
        let stride = (width * bitsPerPixel + 7) / 8
        let expected = (stride + 1) * height
        var raw = [UInt8](repeating: 0, count: expected)
        var destLen = uLongf(expected)
        let rc = raw.withUnsafeMutableBufferPointer { dst in
            idat.withUnsafeBufferPointer { src in
                uncompress(dst.baseAddress, &destLen, src.baseAddress, uLong(src.count))
            }
        }
        guard rc == Z_OK, Int(destLen) == expected else { throw .corrupt("image data does not inflate (zlib \(rc))") }
        // Undo the per-row filters (§9.2).
        let bpp = max(1, bitsPerPixel / 8)
        var prev = [UInt8](repeating: 0, count: stride)
        var rows = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let f = raw[y * (stride + 1)]
            var cur = Array(raw[(y * (stride + 1) + 1)..<((y + 1) * (stride + 1))])
            for x in 0..<stride {
                let a = x >= bpp ? Int(cur[x - bpp]) : 0
                let up = Int(prev[x])
                let c = x >= bpp ? Int(prev[x - bpp]) : 0
                let add: Int
                switch f {
                case 0: add = 0
                case 1: add = a
                case 2: add = up
                case 3: add = (a + up) / 2
                case 4:
                    let p = a + up - c
                    let pa = abs(p - a)
                    let pb = abs(p - up)
                    let pc = abs(p - c)
                    add = (pa <= pb && pa <= pc) ? a : (pb <= pc ? up : c)
                default: throw .corrupt("row filter \(f)")
                }
                cur[x] = UInt8(truncatingIfNeeded: Int(cur[x]) + add)
            }
            rows.replaceSubrange(y * stride..<(y + 1) * stride, with: cur)
            prev = cur
        }
        func sample(_ row: Int, _ index: Int) -> Int {
            // index-th sample of `depth` bits in the row, scaled to 0…255 (palette indexes raw).
            if depth == 8 { return Int(rows[row * stride + index]) }
            if depth == 16 { return Int(rows[row * stride + 2 * index]) }
            let bit = index * depth
            let byte = rows[row * stride + bit / 8]
            let v = Int(byte >> UInt8(8 - depth - bit % 8)) & ((1 << depth) - 1)
            return colorType == 3 ? v : v * 255 / ((1 << depth) - 1)
        }
        var px = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let v: Int
                switch colorType {
                case 3:
                    let idx = sample(y, x)
                    guard 3 * idx + 2 < palette.count else { throw .corrupt("palette index") }
                    v =
                        (Int(palette[3 * idx]) * 299 + Int(palette[3 * idx + 1]) * 587 + Int(palette[3 * idx + 2]) * 114)
                        / 1000
                case 2, 6:
                    let base = x * channels
                    v = (sample(y, base) * 299 + sample(y, base + 1) * 587 + sample(y, base + 2) * 114) / 1000
                default:
                    v = sample(y, x * channels)
                }
                px[y * width + x] = UInt8(v)
            }
        }
        return GreyImage(width: width, height: height, pixels: px)
    }
}
