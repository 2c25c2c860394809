/// A TPM 2.0 persistent object handle as configured (`private_key = "tpm:0x81000002"`):
/// persistent handles are 0x81000000–0x81FFFFFF (TPM 2.0 Part 2, "TPM_HT_PERSISTENT").
public enum TPMHandle {
    /// The handle `keygen --tpm` uses when none is given (the first of the owner's range that
    /// TCG's provisioning guidance leaves to applications).
    public static let defaultHandle: UInt32 = 0x8100_0002

    /// `tpm:0x81000002` → 0x81000002; nil when `value` does not start with `tpm:`. Throws when
    /// it does but what follows is not a persistent handle.
    public static func parse(configValue value: String) throws(TPMHandleError) -> UInt32? {
        guard value.hasPrefix("tpm:") else { return nil }
        return try parse(String(value.dropFirst(4)))
    }

    /// `0x81000002` (hex, with or without 0x) → 0x81000002, if it is a persistent handle.
    public static func parse(_ text: String) throws(TPMHandleError) -> UInt32 {
        let hex = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard let h = UInt32(hex, radix: 16), h >> 24 == 0x81 else { throw TPMHandleError(text: text) }
        return h
    }

    /// 0x81000002 → "0x81000002".
    public static func format(_ handle: UInt32) -> String {
        "0x" + String(handle, radix: 16, uppercase: false).leftPadded(to: 8)
    }
}

/// A `tpm:` key location whose handle is not a TPM persistent handle.
public struct TPMHandleError: Error, CustomStringConvertible, Equatable {
    public var text: String
    public var description: String {
        "\"\(text)\" is not a TPM persistent handle (0x81000000 to 0x81ffffff, e.g. 0x81000002)"
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
