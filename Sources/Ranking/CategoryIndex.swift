import VectorMath
import Store
import VectorIndex

/// The labels of one categorical item column in two directions, built once per loaded store:
/// per item, its label codes (compressed rows: `offsets[row] ..< offsets[row + 1]` into
/// `codes`); per label, the sorted item rows that carry it (postings), from which request
/// filters build their `RowBitmap`s.
public struct CategoryIndex: Sendable {
    /// The column, as declared in the store.
    public let column: FeatureColumn
    /// Label text by code.
    public let labels: [String]
    @usableFromInline let codesByLabel: [String: UInt32]
    @usableFromInline let offsets: [Int32]
    @usableFromInline let codes: [UInt32]
    @usableFromInline let postings: [[UInt32]]

    /// Builds the index from the label codes of every item row (`codesOfRow[row]`).
    public init(column: FeatureColumn, labels: [String], codesOfRow: [[UInt32]]) {
        self.column = column
        self.labels = labels
        var byLabel: [String: UInt32] = [:]
        for (code, label) in labels.enumerated() { byLabel[label] = UInt32(code) }
        codesByLabel = byLabel
        var offsets: [Int32] = [0]
        var codes: [UInt32] = []
        var postings = [[UInt32]](repeating: [], count: labels.count)
        offsets.reserveCapacity(codesOfRow.count + 1)
        for (row, rowCodes) in codesOfRow.enumerated() {
            for code in rowCodes where Int(code) < labels.count && !codes[Int(offsets.last!)...].contains(code) {
                codes.append(code)
                postings[Int(code)].append(UInt32(row))
            }
            offsets.append(Int32(codes.count))
        }
        self.offsets = offsets
        self.codes = codes
        self.postings = postings
    }

    /// `old` with more labels (`labels` extends `old.labels`), rows up to `itemCount` (at least
    /// `old.itemCount`), and the rows `rows` (increasing) carrying `codes[i]` instead: equal to
    /// building it from scratch, in time proportional to copying the arrays. The flat arrays are
    /// copied in runs between the changed rows (offsets shifted by the change in label counts),
    /// the postings of the labels that rows left or joined are edited, new rows are appended.
    public init(updating old: CategoryIndex, column: FeatureColumn, labels: [String], itemCount: Int,
                rows: [UInt32], codes newCodes: [[UInt32]]) {
        precondition(itemCount >= old.itemCount, "CategoryIndex(updating:): \(itemCount) rows, fewer than the \(old.itemCount) before")
        if rows.isEmpty && itemCount == old.itemCount && labels.count == old.labels.count {
            self = old  // a write that touched no item (users, histories): the same arrays, not copies
            return
        }
        // Each row's codes as a build would keep them: known labels, first occurrence only.
        let newCodes = newCodes.map { codes -> [UInt32] in
            var out: [UInt32] = []
            for c in codes where Int(c) < labels.count && !out.contains(c) { out.append(c) }
            return out
        }
        let covered = old.itemCount
        var offsets: [Int32] = [], codes: [UInt32] = []
        offsets.reserveCapacity(itemCount + 1)
        codes.reserveCapacity(old.codes.count + newCodes.reduce(0) { $0 + $1.count })
        var postings = old.postings + [[UInt32]](repeating: [], count: labels.count - old.labels.count)
        // Postings that change: rows leaving a label, rows joining one (increasing, as `rows`).
        var leaving: [UInt32: [UInt32]] = [:], joining: [UInt32: [UInt32]] = [:]
        // Rows of `old`: runs of unchanged rows copied whole, changed rows rewritten.
        offsets.append(0)
        var done = 0  // rows of `old` emitted
        func copyRun(to end: Int) {
            guard end > done else { return }
            let shift = Int32(codes.count) - old.offsets[done]
            codes.append(contentsOf: old.codes[Int(old.offsets[done]) ..< Int(old.offsets[end])])
            if shift == 0 {
                offsets.append(contentsOf: old.offsets[(done + 1) ... end])
            } else {
                for r in (done + 1) ... end { offsets.append(old.offsets[r] + shift) }
            }
            done = end
        }
        for (i, row) in rows.enumerated() where Int(row) < covered {
            copyRun(to: Int(row))
            let before = Array(old.codes[old.range(ofItem: row)])
            let after = newCodes[i]
            for c in before where !after.contains(c) { leaving[c, default: []].append(row) }
            for c in after where !before.contains(c) { joining[c, default: []].append(row) }
            codes.append(contentsOf: after)
            offsets.append(Int32(codes.count))
            done = Int(row) + 1
        }
        copyRun(to: covered)
        // New rows, past every row so far: appended to their postings.
        var next = 0
        for row in covered ..< itemCount {
            while next < rows.count && Int(rows[next]) < row { next += 1 }
            if next < rows.count && Int(rows[next]) == row {
                for c in newCodes[next] {
                    codes.append(c)
                    postings[Int(c)].append(UInt32(row))
                }
            }
            offsets.append(Int32(codes.count))
        }
        for label in Set(leaving.keys).union(joining.keys) {
            var list = postings[Int(label)]
            if let gone = leaving[label].map(Set.init) { list.removeAll { gone.contains($0) } }
            if let added = joining[label] { list = (list + added).sorted() }
            postings[Int(label)] = list
        }
        self.column = column
        self.labels = labels
        var byLabel = old.codesByLabel
        for code in old.labels.count ..< labels.count { byLabel[labels[code]] = UInt32(code) }
        codesByLabel = byLabel
        self.offsets = offsets
        self.codes = codes
        self.postings = postings
    }

    /// Items covered (rows `0 ..< itemCount`).
    public var itemCount: Int { offsets.count - 1 }
    public var labelCount: Int { labels.count }

    /// The code of `label`, or nil when the column never had it.
    public func code(of label: String) -> UInt32? { codesByLabel[label] }

    /// Positions in `codes` of an item's labels (empty for rows past the end).
    @inlinable
    public func range(ofItem row: UInt32) -> Range<Int> {
        let r = Int(row)
        guard r + 1 < offsets.count else { return 0 ..< 0 }
        return Int(offsets[r]) ..< Int(offsets[r + 1])
    }

    /// The label code at a position of `range(ofItem:)`.
    @inlinable
    public func code(at position: Int) -> UInt32 { codes[position] }

    /// An item's label codes (allocates; hot paths use `range(ofItem:)`).
    public func codes(ofItem row: UInt32) -> [UInt32] { range(ofItem: row).map { codes[$0] } }

    /// The item rows carrying label `code`, increasing.
    public func rows(withCode code: UInt32) -> [UInt32] {
        Int(code) < postings.count ? postings[Int(code)] : []
    }

    /// The rows carrying any of `codes`, as a bitmap over `0 ..< itemCount`.
    public func bitmap<S: Sequence>(anyOf codes: S) -> RowBitmap where S.Element == UInt32 {
        var bitmap = RowBitmap(capacity: itemCount)
        for code in codes { for row in rows(withCode: code) { bitmap.insert(row) } }
        return bitmap
    }

    /// Jaccard overlap of two items' label sets (0 when both are empty).
    @inlinable
    public func jaccard(_ a: UInt32, _ b: UInt32) -> Float {
        let ra = range(ofItem: a), rb = range(ofItem: b)
        if ra.isEmpty && rb.isEmpty { return 0 }
        var shared = 0
        for i in ra {
            let c = codes[i]
            for j in rb where codes[j] == c { shared += 1; break }
        }
        return Float(shared) / Float(ra.count + rb.count - shared)
    }
}
