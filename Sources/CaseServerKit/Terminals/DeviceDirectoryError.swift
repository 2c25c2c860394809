/// Why a `DeviceDirectory` change was refused, worded for the operator at `case-server`.
public enum DeviceDirectoryError: Error, Equatable, CustomStringConvertible {
    case invalidDeviceID(String)
    case alreadyRegistered(String)
    case notRegistered(String)
    case revoked(String)
    case keyAlreadyActive(device: String, keyID: String)
    case noSuchKey(device: String, keyID: String)
    case onlyKey(device: String, keyID: String)

    public var description: String {
        switch self {
        case .invalidDeviceID(let d):
            return "\(d): not a device id (letters, digits, '.', '_', '-'; as in gatewayd's [device] id)"
        case .alreadyRegistered(let d):
            return "\(d) is registered already: add a new key with case-server devices rotate --device \(d) --key PEM"
        case .notRegistered(let d):
            return "\(d) is not registered: case-server devices add, or enroll it (case-server enroll --device \(d))"
        case .revoked(let d):
            return "\(d) is revoked: re-enroll it (case-server enroll --device \(d)) or add it again (devices add)"
        case .keyAlreadyActive(let d, let k):
            return "\(d) already has the active key \(k)"
        case .noSuchKey(let d, let k):
            return "\(d) has no active key \(k) (case-server devices list shows its keys)"
        case .onlyKey(let d, let k):
            return
                "\(k) is the only active key of \(d): rotate to a new key first, or revoke the device (devices revoke)"
        }
    }
}
