import Foundation
#if canImport(Glibc)
import Glibc
#endif
import LMDB
import Store

extension IVFSearchIndex {
    /// Lists are preloaded only while they take at most this share of physical memory.
    static let preloadMemoryShare = 0.5

    /// Maps every posting list of the current snapshot into this process's page tables
    /// (`MADV_POPULATE_READ`, which reads evicted pages back from disk; touching one byte per
    /// page where the kernel lacks it), so that no probe waits on a page fault: the analogue of
    /// loading an index into memory. The lists' address range is marked `MADV_HUGEPAGE` first,
    /// so that pages read from disk come in huge folios (on 1M x 128, lists read that way
    /// scanned 20-25% faster than lists left in 4 KiB pages by the build's writes). Skipped,
    /// returning 0, when the lists take more than half of physical memory. Returns the bytes
    /// of the lists preloaded.
    @discardableResult
    public func preload() throws -> Int {
        try IVFTables.lmdb("preload ivf_lists in \(store.path)") {
            try store.environment.read { txn -> Int in
                let bytes = try txn.statistics(of: tables.lists).bytes
                guard Double(bytes) <= Double(ProcessInfo.processInfo.physicalMemory) * Self.preloadMemoryShare else { return 0 }
                var total = 0
                var low = Int.max, high = 0
                for list in 0 ..< UInt32(info.lists) {
                    try KeyCodec.withRowKey(list) { key in
                        try txn.withValue(forKey: key, in: tables.lists) { raw in
                            guard let raw, let base = raw.baseAddress, raw.count > 0 else { return }
                            low = min(low, Int(bitPattern: base))
                            high = max(high, Int(bitPattern: base) + raw.count)
                        }
                    }
                }
                if high > low {
                    // Pages read from disk from now on come in huge folios where the kernel and
                    // file system allow: contiguous 2 MiB that cost far fewer TLB misses to stream.
                    let huge = 2 << 20
                    let start = low & ~(huge - 1), end = (high + huge - 1) & ~(huge - 1)
                    _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
                }
                for list in 0 ..< UInt32(info.lists) {
                    try KeyCodec.withRowKey(list) { key in
                        try txn.withValue(forKey: key, in: tables.lists) { raw in
                            guard let raw, let base = raw.baseAddress, raw.count > 0 else { return }
                            Self.populate(base, count: raw.count)
                            total += raw.count
                        }
                    }
                }
                return total
            }
        }
    }

    /// Populates the page-table entries of `[base, base + count)` (read-only).
    static func populate(_ base: UnsafeRawPointer, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: base) & ~(page - 1)
        let length = Int(bitPattern: base) + count - start
        let madvPopulateRead: Int32 = 22  // Linux 5.14+
        if madvise(UnsafeMutableRawPointer(bitPattern: start), length, madvPopulateRead) == 0 { return }
        touch(base, count: count, page: page)
    }

    /// Reads one byte of every page of `[base, base + count)`.
    @_optimize(none)
    static func touch(_ base: UnsafeRawPointer, count: Int, page: Int) {
        var sum: UInt8 = 0
        var offset = 0
        while offset < count {
            sum &+= base.load(fromByteOffset: offset, as: UInt8.self)
            offset += page
        }
        sum &+= base.load(fromByteOffset: count - 1, as: UInt8.self)
        _ = sum
    }
}
