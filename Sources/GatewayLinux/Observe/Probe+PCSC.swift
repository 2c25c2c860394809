import CPCSC
import GatewayCore

extension Probe {
    /// A PC/SC NFC reader: is libpcsclite there, does pcscd answer, which of its readers match
    /// the reader's name glob, and is a card on any of them now. The daemon does the same steps
    /// when it starts the reader, so each failure here is the one the daemon would log.
    static func pcscReaderCheck(_ r: GatewayConfig.Reader, pattern: String) -> ProbeCheck {
        func result(_ status: ProbeCheck.Status, _ detail: String, lines: [String]? = nil) -> ProbeCheck {
            var c = ProbeCheck(name: "reader \(r.id)", status: status, detail: detail, lines: lines)
            c.reader = .init(id: r.id, kind: kindName(r.kind), path: nil, rule: "reader '\(pattern)'", devices: [])
            return c
        }
        do {
            try PCSCLibrary.load()
        } catch {
            return result(.fail, "nfc reader (pcsc): \(error)")
        }
        var context: SCARDCONTEXT = 0
        let rv = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
        guard rv == PCSCLibrary.success else {
            return result(
                .fail,
                "nfc reader (pcsc): pcscd is not reachable (\(PCSCLibrary.describe(rv))) — start it: systemctl enable --now pcscd.socket"
                    + " (inside gatewayd's sandbox the unit must allow /run/pcscd)"
            )
        }
        defer { SCardReleaseContext(context) }
        let names: [String]
        switch PCSCLibrary.readerNames(context) {
        case .success(let n): names = n
        case .failure(let f): return result(.fail, "nfc reader (pcsc): pcscd cannot list readers (\(f.description))")
        }
        let matched = names.filter { Glob.matches(pattern, $0) }
        var lines: [String] = []
        for n in names {
            var s = SCARD_READERSTATE()
            let present = n.withCString { cName -> Bool in
                s.szReader = cName
                s.dwCurrentState = DWORD(SCARD_STATE_UNAWARE)
                return SCardGetStatusChange(context, 0, &s, 1) == PCSCLibrary.success
                    && s.dwEventState & DWORD(SCARD_STATE_PRESENT) != 0
            }
            lines.append(
                "'\(n)'" + (matched.contains(n) ? " — selected" : " — not selected: name does not match '\(pattern)'")
                    + (present ? ", a card is on it" : "")
            )
        }
        guard !matched.isEmpty else {
            return result(
                .warn,
                "nfc reader (pcsc): pcscd offers \(names.isEmpty ? "no reader" : "no reader named '\(pattern)'")"
                    + " — is it plugged in? A PN533 stick or an ACR122U held by pn533_usb needs the blacklist"
                    + " (/etc/modprobe.d/gatewayd-nfc.conf)",
                lines: lines.isEmpty ? nil : lines
            )
        }
        return result(.ok, "nfc reader (pcsc): \(matched.map { "'\($0)'" }.joined(separator: ", "))", lines: lines)
    }
}
