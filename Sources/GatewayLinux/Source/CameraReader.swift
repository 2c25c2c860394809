import CZbar
import GatewayCore
import Glibc
import Logging

/// A camera (V4L2, /dev/video*) as a reader: frames through zbar's video capture, converted to
/// grey and scanned; every code found is a scan carrying its AIM symbology. A camera sees the
/// same code in frame after frame, so the reader's dedup window (2 s unless configured) makes
/// one scan of it. Event-driven: poll(2) on the capture fd.
final class CameraReader: DeviceSession {
    let config: GatewayConfig.Reader
    private let committer: ScanCommitter
    private let stop: StopSignal
    private let width: Int
    private let height: Int

    static let formats: [(name: String, fourcc: UInt)] = [
        ("GREY", 0x5945_5247), ("Y800", 0x3030_3859), ("YUYV", 0x5659_5559), ("UYVY", 0x5956_5955),
        ("NV12", 0x3231_564E), ("YU12", 0x3231_5559), ("RGB3", 0x3342_4752), ("BGR3", 0x3352_4742),
        ("MJPG", 0x4750_4A4D),
    ]

    init(config: GatewayConfig.Reader, width: Int, height: Int, committer: ScanCommitter, stop: StopSignal) {
        self.config = config
        self.width = width
        self.height = height
        self.committer = committer
        self.stop = stop
    }

    func run(devnode: String) -> SessionEnd {
        let scanner: BarcodeScanner
        do {
            scanner = try BarcodeScanner()
        } catch {
            return .failed(error.description)
        }
        guard let video = zbar_video_create() else { return .failed("cannot create a zbar video object") }
        defer { zbar_video_destroy(video) }
        func why() -> String {
            String(cString: _zbar_error_string(UnsafeRawPointer(video), 0)).trimmingCharacters(
                in: .whitespacesAndNewlines
            )
        }
        _ = zbar_video_request_size(video, UInt32(width), UInt32(height))
        committer.logger.debug("camera opening", metadata: ["reader": "\(config.id)", "device": "\(devnode)"])
        guard zbar_video_open(video, devnode) == 0 else {
            return .failed("\(devnode): cannot open the camera (\(why()))")
        }
        defer { _ = zbar_video_open(video, nil) }
        // The first format the camera offers that zbar converts to grey, cheapest first.
        // (zbar_negotiate_format without a window did not return with vivid.)
        guard Self.formats.contains(where: { zbar_video_init(video, $0.fourcc) == 0 }) else {
            return .failed(
                "\(devnode): none of \(Self.formats.map(\.name).joined(separator: ", ")) is offered (\(why()))"
            )
        }
        guard zbar_video_enable(video, 1) == 0 else { return .failed("\(devnode): cannot start streaming (\(why()))") }
        defer { _ = zbar_video_enable(video, 0) }
        let fd = zbar_video_get_fd(video)
        committer.logger.info(
            "reader connected",
            metadata: [
                "reader": "\(config.id)", "kind": "camera", "device": "\(devnode)",
                "size": "\(zbar_video_get_width(video))x\(zbar_video_get_height(video))",
            ]
        )
        var frames = 0
        while true {
            if fd >= 0 {
                switch waitReadable(fd, stop: stop, timeoutMs: 5000) {
                case .stopped: return .stopped
                case .timeout: return .gone("no frame for 5 s")
                case .hangup: return .gone("camera hung up")
                case .readable: break
                }
            } else if stop.isSignalled {
                return .stopped
            }
            guard let frame = zbar_video_next_image(video) else { return .gone("capture failed (\(why()))") }
            frames += 1
            guard let grey = zbar_image_convert(frame, BarcodeScanner.y800) else {
                zbar_image_destroy(frame)
                return .failed("\(devnode): cannot convert frames to grey")
            }
            zbar_image_destroy(frame)
            let symbols = scanner.scan(zbarImage: grey)
            zbar_image_destroy(grey)
            if frames == 1 || frames % 1000 == 0 {
                committer.logger.debug("camera frames", metadata: ["reader": "\(config.id)", "frames": "\(frames)"])
            }
            let scans = symbols.map { committer.scan($0.data, symbology: $0.aim) }
            guard committer.commit(scans) else { return .stopped }
        }
    }
}
