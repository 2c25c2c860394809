// libFuzzer target: arbitrary bytes through the NFC reader core. The first byte picks the part:
// the PN53x frame decoder (fed in chunks whose size the second byte sets), the CCID/ACR122U
// exchange, the Type 2 tag reader over a memory image, the poll answer parser, the PC/SC ATR
// (a type named only from a well-formed ATR) and the PN53x exchange (ACK, NACK, resend) over
// arbitrary transfers, which ends with the answer to its own command or an error within its
// bounded retries. Invariants:
// no crash; a decoded frame encodes back to bytes that decode to it; a CCID data block's data is
// exactly what its header announces; the tag reader asks only for pages it can address and
// returns no more than the capability container declares; UIDs are 4, 7 or 10 bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNFC(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let body = Array(bytes.dropFirst(2))
    switch bytes[0] % 6 {
    case 0: fuzzFrames(body, chunk: Int(bytes[1]) + 1, expecting: bytes[0] & 0x80 == 0 ? .chipToHost : .hostToChip)
    case 1: fuzzCCID(body, sequence: bytes[1])
    case 2: fuzzType2(body)
    case 3: fuzzPoll(body)
    case 4: fuzzATR(body)
    default: fuzzExchange(body, chunk: Int(bytes[1] & 0x7F) + 1, timeouts: bytes[1] & 0x80 != 0)
    }
    return 0
}

private func fuzzFrames(_ body: [UInt8], chunk: Int, expecting: PN53xFrame.Direction) {
    var decoder = PN53xFrameDecoder(expecting: expecting)
    for start in stride(from: 0, to: body.count, by: chunk) {
        decoder.feed(body[start..<min(start + chunk, body.count)])
        while true {
            do {
                guard let out = try decoder.next() else { break }
                if case .frame(let f) = out {
                    guard f.direction == expecting else { fatalError("frame from the wrong direction") }
                    guard (try? PN53xFrameDecoder.decode(f.encoded, expecting: expecting)) == [out] else {
                        fatalError("decoded frame does not round-trip")
                    }
                }
            } catch {
                _ = error.description
            }
        }
        if decoder.bufferedCount > 8 + PN53xFrame.maxBodyLength + 2 + chunk { fatalError("unbounded buffer") }
    }
    try? decoder.finish()
    if decoder.bufferedCount != 0 { fatalError("finish left bytes") }
}

private func fuzzCCID(_ body: [UInt8], sequence: UInt8) {
    if case .data(let d)? = try? CCIDMessage.parseDataBlock(body, sequence: sequence),
        d.count != body.count - CCIDMessage.headerLength
    {
        fatalError("data block data is not what dwLength says")
    }
    // The same bytes as a run of reader answers to one exchange.
    guard var exchange = try? ACR122UExchange(command: .command(0x40, [0x01, 0x30, 0x04]), sequence: sequence)
    else { fatalError("a short command must fit") }
    var rest = body[...]
    while !rest.isEmpty {
        let n = min(rest.count, max(1, CCIDMessage.length(ofMessageStartingWith: rest) ?? rest.count))
        let message = Array(rest.prefix(n))
        rest = rest.dropFirst(n)
        do {
            if case .done(let frame) = try exchange.receive(message), frame.command != 0x41 {
                fatalError("exchange ended with the answer to another command")
            }
        } catch {
            _ = error.description
        }
    }
}

private func fuzzType2(_ memory: [UInt8]) {
    guard !memory.isEmpty else { return }
    var reader = Type2TagReader()
    var step = reader.firstStep
    var reads = 0
    while case .read(let page) = step {
        reads += 1
        // Page 3 and then at most 2040 / 16 more READs: the walk never loops.
        if reads > 2 + 2040 / 16 { fatalError("too many READs") }
        // A short answer now and then, as from a tag taken away.
        let count = memory[Int(page) % memory.count] == 0xA5 ? Int(page) % 16 : 16
        let answer = (0..<count).map { memory[(Int(page) * 4 + $0) % memory.count] }
        do {
            step = try reader.receive(answer)
        } catch {
            _ = error.description
            return
        }
    }
    guard case .done(let message) = step, let cc = reader.capabilityContainer else { fatalError("done without a CC") }
    if message.count > cc.dataAreaSize { fatalError("message larger than the data area") }
}

private func fuzzPoll(_ body: [UInt8]) {
    guard let targets = try? ISO14443ATarget.parseInListPassiveTarget(body) else { return }
    for t in targets {
        if ![4, 7, 10].contains(t.uid.count) { fatalError("UID of \(t.uid.count) bytes") }
        _ = NFCTagType.identify(atqa: t.atqa, sak: t.sak, version: Array(body.suffix(8)))
    }
}

private func fuzzATR(_ atr: [UInt8]) {
    let type = PCSCATR.tagType(atr)
    if type != .unknown, atr.first != 0x3B { fatalError("a type named from an ATR that does not start with 3B") }
}

/// The bytes as IN transfers of `chunk` bytes to one PN53x exchange (a READ); with `timeouts`, an
/// empty transfer stands for a read that timed out.
private func fuzzExchange(_ body: [UInt8], chunk: Int, timeouts: Bool) {
    let command = PN53xFrame.command(0x40, [0x01, 0x30, 0x04])
    var exchange = PN53xExchange(command: command)
    var sends = 0
    var ended = false
    for start in stride(from: 0, to: body.count, by: chunk) {
        let transfer = body[start..<min(start + chunk, body.count)]
        do {
            let action =
                timeouts && transfer.first == 0xEE ? try exchange.timedOut() : try exchange.receive(transfer)
            guard !ended else { fatalError("the exchange went on after it ended") }
            switch action {
            case .send(let bytes):
                sends += 1
                guard bytes == PN53xFrame.nack || bytes == exchange.firstMessage else { fatalError("sent \(bytes)") }
                // NACKs and resends are bounded: nacks + resends, each at most the retries.
                if sends > 2 * PN53xExchange.defaultMaxRetries { fatalError("unbounded retries") }
            case .read:
                break
            case .done(let frame):
                guard frame.direction == .chipToHost, frame.command == 0x41 else {
                    fatalError("not the answer: \(frame)")
                }
                ended = true
            }
        } catch {
            _ = error.description
            ended = true
        }
    }
}
