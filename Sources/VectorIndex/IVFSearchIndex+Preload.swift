import Foundation
import LMDB
import Store

extension IVFSearchIndex {
    /// Lists are copied into memory only while they take at most this share of physical memory.
    static let preloadMemoryShare = 0.5

    /// Copies every posting list of the current snapshot into anonymous huge-page memory
    /// (`IVFResidentLists.load`: one sequential pass over the lists), which queries whose
    /// snapshot holds that state scan instead of the map: the analogue of loading an index into
    /// memory. Lists left in the page cache by a build sit in 4 KiB pages, and streaming them
    /// from the map cost about twice the time per row (TLB misses) of lists in 2 MiB pages.
    /// Skipped, returning 0, when the lists take more than half of physical memory (queries
    /// then read them from the map). Returns the bytes held: the lists and their screening codes.
    @discardableResult
    public func preload() throws -> Int {
        try IVFTables.lmdb("copy ivf_lists in \(store.path)") {
            try store.environment.read { txn -> Int in
                let bytes = try txn.statistics(of: tables.lists).bytes
                guard Double(bytes) <= Double(ProcessInfo.processInfo.physicalMemory) * Self.preloadMemoryShare else { return 0 }
                let build = try tables.requireMeta(.buildID, as: UInt64.self, in: txn)
                guard build == info.buildID else { return 0 }
                let sequence = try tables.requireMeta(.storeSequence, as: UInt64.self, in: txn)
                let copy = try IVFResidentLists.load(self, in: txn, sequence: sequence, buildID: build)
                resident.install(copy)
                return copy.memoryBytes
            }
        }
    }

    /// `store_sequence` of the committed states whose lists are held in memory, oldest first.
    public var residentSequences: [UInt64] { resident.sequences }
}
