#if canImport(Glibc)
import Glibc
#endif

/// Zeroed anonymous memory that asks the kernel for transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`; a no-op where they are off): graph links and vectors are read
/// at random, and with 4 KiB pages most of those reads also miss the TLB.
final class HugePageBuffer {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    private let isMapped: Bool

    init(bytes requested: Int) {
        let huge = 2 << 20
        bytes = max((requested + huge - 1) / huge * huge, huge)
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            base = mapped
            isMapped = true
            _ = madvise(base, bytes, MADV_HUGEPAGE)
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            isMapped = false
        }
    }

    deinit {
        if isMapped { munmap(base, bytes) } else { base.deallocate() }
    }
}
