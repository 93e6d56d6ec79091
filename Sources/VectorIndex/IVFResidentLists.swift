#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import LMDB
import Store
import VectorMath

/// A copy of every posting list of one committed state of an IVF index, in anonymous memory
/// that the scans read instead of the LMDB map: lists left in the page cache by a build sit in
/// 4 KiB pages, and streaming them costs a TLB miss every 4 KiB (about twice the time per row
/// of lists in 2 MiB pages). The store stays the source of truth; a copy is immutable and names
/// the state it holds by `ivf_meta.store_sequence` (rewritten by every IVF write), so a query
/// uses it only when its snapshot holds that same state.
///
/// The lists loaded at open share one `HugePageBuffer` (one sequential copy, each list's
/// vectors on a cache line); an online write makes a new copy that shares every unchanged list
/// with its base and holds each rewritten list in a block of its own (copy-on-write per list).
/// The memory of a replaced list is released when no copy that a reader holds refers to it.
final class IVFResidentLists: @unchecked Sendable {
    /// `ivf_meta.store_sequence` and `build_id` of the state copied.
    let sequence: UInt64
    let buildID: UInt64
    /// Per list: a view of its copy, nil when the list is empty.
    let postings: [IVFPostingList?]
    /// Per list: what owns the memory its view points into.
    private let owners: [AnyObject?]
    /// float32 lists: per list, one-byte codes of its residuals for screening a probe
    /// (`IVFListScreen`), with what owns their memory and the quantizer they share; nil for int8
    /// lists, or when a residual was not finite.
    let screens: [IVFListScreen?]
    private let screenOwners: [AnyObject?]
    let screenQuantizer: ScalarQuantizer?

    private init(sequence: UInt64, buildID: UInt64, postings: [IVFPostingList?], owners: [AnyObject?],
                 screens: [IVFListScreen?], screenOwners: [AnyObject?], screenQuantizer: ScalarQuantizer?) {
        self.sequence = sequence
        self.buildID = buildID
        self.postings = postings
        self.owners = owners
        self.screens = screens
        self.screenOwners = screenOwners
        self.screenQuantizer = screenQuantizer
    }

    /// Bytes of the lists and their screening codes this copy holds.
    var memoryBytes: Int {
        zip(postings, screens).reduce(0) { sum, pair in
            guard let posting = pair.0 else { return sum }
            return sum + IVFPostingList.byteCount(count: posting.count, dimension: posting.dimension, encoding: posting.encoding)
                + (pair.1 != nil ? IVFListScreen.byteCount(count: posting.count, dimension: posting.dimension) : 0)
        }
    }

    /// Trains the residual quantizer on every list and encodes each list's screen into one
    /// huge-page buffer (the encoding split over two threads).
    private static func screen(_ postings: [IVFPostingList?], centroids: UnsafePointer<Float>, dimension d: Int)
        -> (screens: [IVFListScreen?], owners: [AnyObject?], quantizer: ScalarQuantizer?) {
        let nlist = postings.count, threads = 2
        guard let quantizer = IVFListScreen.trainQuantizer(postings, centroids: centroids, dimension: d) else {
            return ([IVFListScreen?](repeating: nil, count: nlist), [AnyObject?](repeating: nil, count: nlist), nil)
        }
        var starts = [Int](repeating: 0, count: nlist), total = 0
        for l in 0..<nlist {
            starts[l] = total
            total += (IVFListScreen.byteCount(count: postings[l]?.count ?? 0, dimension: d) + 63) & ~63
        }
        let buffer = HugePageBuffer(bytes: max(total, 64))
        let blocks = buffer.base.bindMemory(to: UInt8.self, capacity: buffer.bytes)
        var screens = [IVFListScreen?](repeating: nil, count: nlist)
        screens.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                for l in stride(from: part, to: nlist, by: threads) {
                    guard let posting = postings[l] else { continue }
                    (base + l).pointee = IVFListScreen.encode(posting, centroid: centroids + l * d, quantizer: quantizer,
                                                              into: blocks + starts[l])
                }
            }
        }
        return (screens, screens.map { $0 == nil ? nil : buffer }, quantizer)
    }

    /// Copies every list of `txn`'s snapshot into one huge-page buffer, in list order (the
    /// order of the map), dropping the map's page-table entries of the lists copied as it goes
    /// and of their whole range at the end (the file's pages stay in the page cache).
    static func load(_ index: IVFSearchIndex, in txn: Transaction, sequence: UInt64, buildID: UInt64) throws -> IVFResidentLists {
        let info = index.info, nlist = info.lists
        var sizes = [Int](repeating: 0, count: nlist), starts = [Int](repeating: 0, count: nlist)
        var total = 0
        try IVFTables.lmdb("size ivf_lists") {
            for l in 0 ..< nlist {
                try KeyCodec.withRowKey(UInt32(l)) { key in
                    try txn.withValue(forKey: key, in: index.tables.lists) { raw in
                        guard let raw, raw.count >= IVFPostingList.headerBytes else { return }
                        sizes[l] = raw.count
                        starts[l] = placement(after: total, count: Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))))
                        total = starts[l] + raw.count
                    }
                }
            }
        }
        let buffer = HugePageBuffer(bytes: total)
        var postings = [IVFPostingList?](repeating: nil, count: nlist)
        var owners = [AnyObject?](repeating: nil, count: nlist)
        var low = Int.max, high = 0, dropped = 0
        try IVFTables.lmdb("copy ivf_lists") {
            for l in 0 ..< nlist where sizes[l] > 0 {
                try KeyCodec.withRowKey(UInt32(l)) { key in
                    try txn.withValue(forKey: key, in: index.tables.lists) { raw in
                        guard let raw, let source = raw.baseAddress, raw.count == sizes[l] else {
                            throw IndexError.corruptIndex(table: IVFLayout.Table.lists.rawValue, reason: "list \(l) changed size within one snapshot")
                        }
                        let target = buffer.base + starts[l]
                        target.copyMemory(from: source, byteCount: raw.count)
                        low = min(low, Int(bitPattern: source))
                        high = max(high, Int(bitPattern: source) + raw.count)
                        // Pages below the 2 MiB boundary under this list's end are not mapped
                        // again by the faults of the lists after it (in address order): drop
                        // them every 32 MiB, so the map and the copy do not both stay resident.
                        let boundary = (Int(bitPattern: source) + raw.count) & ~(Self.hugePage - 1)
                        if dropped == 0 { dropped = Int(bitPattern: source) }
                        if boundary >= dropped + Self.dropStride {
                            dropMapping(from: dropped, to: boundary)
                            dropped = boundary
                        }
                        guard let view = IVFPostingList(UnsafeRawBufferPointer(start: target, count: raw.count),
                                                        dimension: info.dimension, encoding: info.encoding) else {
                            throw IndexError.corruptIndex(table: IVFLayout.Table.lists.rawValue, reason: "list \(l): \(raw.count) bytes do not match its count")
                        }
                        if view.count > 0 {
                            postings[l] = view
                            owners[l] = buffer
                        }
                    }
                }
            }
        }
        if high > low { dropMapping(from: low, to: high) }
        var screened: (screens: [IVFListScreen?], owners: [AnyObject?], quantizer: ScalarQuantizer?) =
            ([IVFListScreen?](repeating: nil, count: nlist), [AnyObject?](repeating: nil, count: nlist), nil)
        if info.encoding == .float32 {
            screened = screen(postings, centroids: index.centroids.floats, dimension: info.dimension)
        }
        return IVFResidentLists(sequence: sequence, buildID: buildID, postings: postings, owners: owners,
                                screens: screened.screens, screenOwners: screened.owners, screenQuantizer: screened.quantizer)
    }

    static let hugePage = 2 << 20
    static let dropStride = 32 << 20

    /// Where a list of `count` rows goes at or after byte `offset`: its vectors start on a
    /// cache line, so that no 64-byte load of the scan kernels straddles two lines.
    static func placement(after offset: Int, count: Int) -> Int {
        let vectors = IVFPostingList.offsets(count: count).vectors
        return ((offset + vectors + 63) & ~63) - vectors
    }

    /// A copy of the state `sequence`: this one with the lists in `changes` replaced (a block
    /// of their own, or nil for a list now empty; screened with this copy's quantizer and the
    /// lists' rows of `centroids`); every other list is shared.
    func replacing(_ changes: [Int: IVFListBlock?], sequence: UInt64, centroids: UnsafePointer<Float>) -> IVFResidentLists {
        var postings = self.postings, owners = self.owners
        var screens = self.screens, screenOwners = self.screenOwners
        for (l, block) in changes {
            postings[l] = block?.posting
            owners[l] = block
            screens[l] = nil
            screenOwners[l] = nil
            if let quantizer = screenQuantizer, let posting = block?.posting, posting.encoding == .float32 {
                let screened = IVFScreenBlock(posting, centroid: centroids + l * posting.dimension, quantizer: quantizer)
                screens[l] = screened.screen
                screenOwners[l] = screened
            }
        }
        return IVFResidentLists(sequence: sequence, buildID: buildID, postings: postings, owners: owners,
                                screens: screens, screenOwners: screenOwners, screenQuantizer: screenQuantizer)
    }

    /// Drops this process's page-table entries of the map's pages in `[low, high)`
    /// (`MADV_DONTNEED` on a shared file mapping: the page cache keeps the pages and a later
    /// read maps them again, so pages of other tables in the range only cost a minor fault),
    /// so that the lists are not counted twice in the process's memory.
    private static func dropMapping(from low: Int, to high: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = low & ~(page - 1), end = (high + page - 1) & ~(page - 1)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
    }
}

/// One posting list rewritten by an online write, in memory of its own (its vectors start on
/// a cache line, as in `IVFResidentLists.load`).
final class IVFListBlock: @unchecked Sendable {
    private let allocation: UnsafeMutableRawPointer
    /// A view of the list; nil only while the block is being filled.
    private(set) var posting: IVFPostingList?

    /// A block of `bytes` for a list of `count` rows, filled by `fill` in the stored layout;
    /// nil when what `fill` wrote is not such a list.
    init?(bytes: Int, count: Int, dimension: Int, encoding: IVFEncoding, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        allocation = UnsafeMutableRawPointer.allocate(byteCount: bytes + 64, alignment: 64)
        let base = allocation + IVFResidentLists.placement(after: 0, count: count)
        fill(UnsafeMutableRawBufferPointer(start: base, count: bytes))
        posting = IVFPostingList(UnsafeRawBufferPointer(start: base, count: bytes), dimension: dimension, encoding: encoding)
        if posting == nil { return nil }
    }

    deinit { allocation.deallocate() }
}
