import VectorMath

/// Item rows in popularity order, most popular first (`ItemCatalog.popularOrder`), kept as a
/// list of chunks of up to `2 * chunkSize` rows. Moving a row (its popularity changed, or it is
/// new) edits the chunks it leaves and joins and copies one reference per chunk, so an online
/// write costs O(rows moved x chunk size + rows / chunk size), not a copy of the whole order.
/// Equal orders are equal row sequences, however they are chunked.
public struct PopularityOrder: Sequence, Sendable, Equatable {
    static let chunkSize = 2_048
    private var chunks: [[UInt32]]
    public private(set) var count: Int

    /// The order of `sorted`, which is already in popularity order.
    init(_ sorted: [UInt32]) {
        chunks = stride(from: 0, to: sorted.count, by: Self.chunkSize).map {
            Array(sorted[$0 ..< Swift.min($0 + Self.chunkSize, sorted.count)])
        }
        count = sorted.count
    }

    public struct Iterator: IteratorProtocol {
        private let chunks: [[UInt32]]
        private var c = 0, i = 0

        init(_ chunks: [[UInt32]]) { self.chunks = chunks }

        public mutating func next() -> UInt32? {
            while c < chunks.count {
                if i < chunks[c].count {
                    defer { i += 1 }
                    return chunks[c][i]
                }
                c += 1
                i = 0
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(chunks) }
    public var underestimatedCount: Int { count }

    public static func == (a: Self, b: Self) -> Bool { a.count == b.count && a.elementsEqual(b) }

    /// Takes `rows` out (each where `before` orders it; all must be present) and puts `placed`
    /// back (in `after`'s order, which must agree with `before` on every other row). Returns
    /// false, leaving the order half edited, when a row is not where `before` says: the caller
    /// then sorts from scratch.
    mutating func move(taking rows: [UInt32], placing placed: [UInt32], before: (UInt32, UInt32) -> Bool,
                       after: (UInt32, UInt32) -> Bool) -> Bool {
        for row in rows {
            let c = chunks.partitionPoint { before($0[$0.count - 1], row) }
            guard c < chunks.count else { return false }
            let i = chunks[c].partitionPoint { before($0, row) }
            guard i < chunks[c].count, chunks[c][i] == row else { return false }
            chunks[c].remove(at: i)
            if chunks[c].isEmpty { chunks.remove(at: c) }
            count -= 1
        }
        for row in placed {
            count += 1
            guard !chunks.isEmpty else {
                chunks.append([row])
                continue
            }
            let c = Swift.min(chunks.partitionPoint { after($0[$0.count - 1], row) }, chunks.count - 1)
            let i = chunks[c].partitionPoint { after($0, row) }
            chunks[c].insert(row, at: i)
            if chunks[c].count > 2 * Self.chunkSize {
                let half = chunks[c].count / 2
                let tail = Array(chunks[c][half...])
                chunks[c].removeLast(chunks[c].count - half)
                chunks.insert(tail, at: c + 1)
            }
        }
        return true
    }
}
