import CLinuxShims
import Glibc

/// The kernel's randomness (getrandom(2)) fetched 512 bytes at a time: a burst of scans needs
/// ten random bytes per event id, and `SystemRandomNumberGenerator` makes a system call for
/// every eight. Not for keys (swift-crypto draws those itself); for ids, whose randomness only
/// has to make collisions unlikely.
struct BufferedRandom: RandomNumberGenerator {
    private var buffer = [UInt64](repeating: 0, count: 64)
    private var position = 64

    mutating func next() -> UInt64 {
        if position == buffer.count {
            refill()
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func refill() {
        let filled = buffer.withUnsafeMutableBytes { raw -> Bool in
            var got = 0
            while got < raw.count {
                let n = gw_getrandom(raw.baseAddress! + got, raw.count - got)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                got += n
            }
            return true
        }
        if !filled {
            // getrandom cannot fail on Linux ≥ 3.17 once the pool is initialised; should it,
            // the standard generator (which traps on failure) still gives real randomness.
            var system = SystemRandomNumberGenerator()
            for i in buffer.indices { buffer[i] = system.next() }
        }
    }
}
