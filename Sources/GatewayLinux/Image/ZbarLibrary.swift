import CZbar

/// zbar, loaded the first time an image is to be scanned (a camera reader starts, `gatewayd
/// decode-image`): gatewayd does not link it, so a terminal without a camera never maps zbar and
/// the libraries it pulls in (X11, dbus, v4l, jpeg …; their weight in docs/performance.md).
/// Sources/CZbar does the `dlopen`.
public enum ZbarLibrary {
    /// libzbar.so.0 could not be loaded: the package (libzbar0) is missing or broken.
    public struct Unavailable: Error, CustomStringConvertible, Equatable {
        public var reason: String
        public var description: String {
            "cannot load zbar, which scans images (\(reason)); install it with: apt-get install libzbar0"
        }
    }

    /// Loads zbar once; later calls give the first call's result.
    public static func load() throws(Unavailable) {
        var why = [CChar](repeating: 0, count: 256)
        guard gw_zbar_load(&why, why.count) == 0 else {
            throw Unavailable(
                reason: String(decoding: why.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
        }
    }
}
