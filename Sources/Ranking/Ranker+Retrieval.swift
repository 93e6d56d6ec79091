import Store
import VectorIndex
import VectorMath

extension Ranker {
    /// The request's filters as one `SearchFilter` for the index: category include lists
    /// become the allowed set; the user's history, the session's items, explicit ids, the
    /// query item, excluded categories and (on request) unreleased items the excluded set.
    /// Also returns how many rows the id lists excluded.
    func makeFilter(_ reader: StoreReader, _ request: RankRequest) throws -> (filter: SearchFilter?, excluded: Int) {
        let f = request.filters
        var excluded = RowBitmap(capacity: catalog.itemCount)
        if f.excludeSeen && userRow != nil {
            for row in historyRows { excluded.insert(row) }
        }
        if case .item(let id) = request.target, let row = try reader.row(of: id, .item) { excluded.insert(row) }
        for id in f.excludeItems {
            if let row = try reader.row(of: id, .item) { excluded.insert(row) }
        }
        for row in sessionRows { excluded.insert(row) }
        let listed = excluded.count
        if let categories = catalog.categories {
            for code in try catalog.categoryCodes(f.excludeCategories) {
                for row in categories.rows(withCode: code) { excluded.insert(row) }
            }
        } else if !f.excludeCategories.isEmpty {
            throw RankingError.noCategoryColumn
        }
        if f.releasedOnly, let released = catalog.released {
            for (row, r) in released.enumerated() where r != HistoryEntry.unknownTime && r > time { excluded.insert(UInt32(row)) }
        }
        var filter = SearchFilter(excluded: excluded.count > 0 ? excluded : nil)
        if !f.includeCategories.isEmpty, let categories = catalog.categories {
            filter.allow(only: categories.bitmap(anyOf: try catalog.categoryCodes(f.includeCategories)))
        } else if !f.includeCategories.isEmpty {
            throw RankingError.noCategoryColumn
        }
        if let rows = f.rows {
            if let extra = rows.excluded { filter.exclude(extra) }
            if let extra = rows.allowed { filter.allow(only: extra) }
        }
        return (filter.isEmpty ? nil : filter, listed)
    }

    /// The candidates: ANN on the query vector, or, with no vector (cold start), the most
    /// popular items that pass the filter.
    func retrieve(_ reader: StoreReader, _ request: RankRequest, filter: SearchFilter?) throws {
        if hasQuery {
            let parameters = SearchParameters(k: request.candidates, ef: request.ef, nprobe: request.nprobe)
            let found = try query.withUnsafeBufferPointer {
                try retriever.search(reader, query: UnsafeBufferPointer(rebasing: $0[0 ..< dimension]), parameters: parameters, filter: filter)
            }
            setCandidates(found)
            return
        }
        let n = min(request.candidates, catalog.itemCount)
        Self.grow(&candidateRows, to: n, 0)
        Self.grow(&annScores, to: n, .nan)
        var count = 0
        for row in catalog.popularOrder where count < n {
            if let filter, !filter.accepts(row) { continue }
            candidateRows[count] = row
            annScores[count] = .nan
            count += 1
        }
        candidateCount = count
    }

    /// Sets the candidate list (row and retrieval score; NaN when there is none).
    func setCandidates(_ found: [ScoredID]) {
        let n = found.count
        Self.grow(&candidateRows, to: n, 0)
        Self.grow(&annScores, to: n, .nan)
        for (i, s) in found.enumerated() {
            candidateRows[i] = s.id
            annScores[i] = s.score
        }
        candidateCount = n
    }
}
