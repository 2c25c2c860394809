import CZbar

/// zbar, loaded the first time an image is to be scanned (a camera reader starts, `gatewayd
/// decode-image`): gatewayd does not link it, so a terminal without a camera never maps zbar and
/// the libraries it pulls in (X11, dbus, v4l, jpeg …; their weight in docs/performance.md).
/// Sources/CZbar does the `dlopen`.
public enum ZbarLibrary {
    /// libzbar.so.0 could not be loaded: the package (libzbar0) is missing or broken.
    public typealias Unavailable = LibraryUnavailable

    /// Loads zbar once; later calls give the first call's result.
    public static func load() throws(Unavailable) {
        try LibraryUnavailable.load("zbar, which scans images", packages: "libzbar0") { gw_zbar_load($0, $1) }
    }
}
