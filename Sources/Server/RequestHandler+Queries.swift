import Ranking
import Store
import VectorIndex
import VectorMath
import Wire

/// search, recommend and similar: retrieval through the worker's `Retriever`, then (for
/// recommend and similar) the ranking stage.
extension RequestHandler {
    /// What a query needs from the worker: the snapshot and the current index's scratch.
    struct QueryContext {
        let reader: StoreReader
        let generation: ServingGeneration
        let meta: StoreMeta
        let retriever: any Retriever
        let session: any RecommendSession
    }

    func context(_ scratch: WorkerScratch) throws -> QueryContext {
        let reader = try scratch.prepare()
        let g = scratch.generation!
        guard let meta = g.meta, let retriever = scratch.retriever, let session = scratch.session else {
            throw ServerError.notReady("the store holds no data yet (import or upsert vectors)")
        }
        return QueryContext(reader: reader, generation: g, meta: meta, retriever: retriever, session: session)
    }

    func search(_ r: Ann_V1_SearchRequest, scratch: WorkerScratch) throws -> Ann_V1_Results {
        let k = try resultCount(r.k)
        let parameters = try searchParameters(k: k, ef: r.ef, nprobe: r.nprobe)
        let q = try context(scratch)
        try checkVector(r.vector, dimension: q.meta.dimension, field: "search.vector")
        let filter = try FilterResolver.resolve(r.hasFilter ? r.filter : nil, reader: q.reader,
                                                categories: q.generation.categories, limits: limits)
        let found = try r.vector.withUnsafeBufferPointer {
            try q.retriever.search(q.reader, query: $0, parameters: parameters, filter: filter)
        }
        return try results(found.map { RankedItem(row: $0.id, score: q.meta.metric.displayScore($0.score)) },
                           features: r.features, reader: q.reader)
    }

    func recommend(_ r: Ann_V1_RecommendRequest, scratch: WorkerScratch) throws -> Ann_V1_Results {
        let k = try resultCount(r.k)
        let candidates = try candidateCount(r.candidates, k: k)
        let parameters = try searchParameters(k: candidates, ef: r.ef, nprobe: r.nprobe)
        let mmr = try diversity(r.hasMmr ? r.mmr : nil)
        let q = try context(scratch)
        let subject: RankingQuery.Subject
        switch (r.hasUser, r.vector.isEmpty) {
        case (true, false):
            throw ServerError.badRequest("recommend: give user or vector, not both")
        case (false, true):
            throw ServerError.badRequest("recommend: give user (an id) or vector")
        case (true, true):
            let id = try IDConversion.external(r.user, "recommend.user")
            guard let row = try q.reader.row(of: id, .user) else { throw ServerError.unknownID(.user, id.description) }
            subject = .user(row: row, id: id)
        case (false, false):
            try checkVector(r.vector, dimension: q.meta.dimension, field: "recommend.vector")
            subject = .vector(r.vector)
        }
        var query = RankingQuery(subject: subject, k: k, parameters: parameters, filter: try filter(r.hasFilter ? r.filter : nil, q),
                                 includeSeen: r.includeSeen, context: r.context, mmr: mmr, explain: r.explain,
                                 metric: q.meta.metric)
        try apply(rules: r.hasRules ? r.rules : nil, session: r.hasSession ? r.session : nil, to: &query, field: "recommend", q.reader)
        return try answer(query, features: r.features, q)
    }

    func similar(_ r: Ann_V1_SimilarRequest, scratch: WorkerScratch) throws -> Ann_V1_Results {
        let k = try resultCount(r.k)
        let candidates = try candidateCount(r.candidates, k: k)
        let parameters = try searchParameters(k: candidates, ef: r.ef, nprobe: r.nprobe)
        let mmr = try diversity(r.hasMmr ? r.mmr : nil)
        guard r.hasItem else { throw ServerError.badRequest("similar: item missing") }
        let q = try context(scratch)
        let id = try IDConversion.external(r.item, "similar.item")
        guard let row = try q.reader.row(of: id, .item) else { throw ServerError.unknownID(.item, id.description) }
        var query = RankingQuery(subject: .item(row: row, id: id), k: k, parameters: parameters,
                                 filter: try filter(r.hasFilter ? r.filter : nil, q), includeSeen: r.includeSeen,
                                 context: r.context, mmr: mmr, explain: r.explain, metric: q.meta.metric)
        if r.hasUser {
            let user = try IDConversion.external(r.user, "similar.user")
            guard let userRow = try q.reader.row(of: user, .user) else { throw ServerError.unknownID(.user, user.description) }
            query.user = (userRow, user)
        }
        try apply(rules: r.hasRules ? r.rules : nil, session: r.hasSession ? r.session : nil, to: &query, field: "similar", q.reader)
        return try answer(query, features: r.features, q)
    }

    private func filter(_ filter: Ann_V1_Filter?, _ q: QueryContext) throws -> SearchFilter? {
        try FilterResolver.resolve(filter, reader: q.reader, categories: q.generation.categories, limits: limits)
    }

    private func answer(_ query: RankingQuery, features: [String], _ q: QueryContext) throws -> Ann_V1_Results {
        let answer = try q.session.answer(query, reader: q.reader)
        var out = try results(answer.items.prefix(query.k), features: features, reader: q.reader)
        out.querySource = answer.querySource
        return out
    }

    /// Business rules and the session block of recommend and similar. Session items shape the
    /// query vector, so an id the store does not know is UNKNOWN_ID, as for `similar.item`
    /// (a known item without a vector, deleted, is taken: it adds nothing and is left out).
    private func apply(rules: Ann_V1_Rules?, session: Ann_V1_Session?, to query: inout RankingQuery, field: String,
                       _ reader: StoreReader) throws {
        if let rules {
            if rules.hasMinScore {
                guard rules.minScore.isFinite else { throw ServerError.badRequest("\(field).rules.minScore \(rules.minScore): expected a finite number") }
                query.minScore = rules.minScore
            }
            if rules.categoryCap > 0 { query.categoryCap = Int(rules.categoryCap) }
        }
        guard let session else { return }
        try limits.check("\(field).session.items", session.items.count, max: limits.maxK)
        query.sessionItems = try session.items.enumerated().map { i, id in
            let item = try IDConversion.external(id, "\(field).session.items[\(i)]")
            guard try reader.row(of: item, .item) != nil else { throw ServerError.unknownID(.item, item.description) }
            return item
        }
        if session.hasWeight {
            guard session.weight >= 0 && session.weight <= 1 else {
                throw ServerError.badRequest("\(field).session.weight \(session.weight): expected 0...1")
            }
            query.sessionWeight = session.weight
        }
        if session.hasTime {
            guard RequestContext.times.contains(session.time) else {
                throw ServerError.badRequest("\(field).session.time \(session.time): expected \(RequestContext.times.lowerBound)...\(RequestContext.times.upperBound) (seconds since 1970, years 1 to 9999)")
            }
            query.time = session.time
        }
        guard RequestContext.utcOffsets.contains(session.utcOffsetSeconds) else {
            throw ServerError.badRequest("\(field).session.utcOffsetSeconds \(session.utcOffsetSeconds): expected -86400...86400")
        }
        query.utcOffsetSeconds = session.utcOffsetSeconds
    }

    // MARK: checks

    func resultCount(_ k: UInt32) throws -> Int {
        let k = k == 0 ? limits.defaultK : Int(k)
        try limits.check("k", k, max: limits.maxK)
        return k
    }

    func candidateCount(_ n: UInt32, k: Int) throws -> Int {
        let n = n == 0 ? max(k, limits.defaultCandidates) : Int(n)
        try limits.check("candidates", n, max: limits.maxCandidates)
        guard n >= k else { throw ServerError.badRequest("candidates (\(n)) is smaller than k (\(k))") }
        return n
    }

    func searchParameters(k: Int, ef: UInt32, nprobe: UInt32) throws -> SearchParameters {
        try limits.check("ef", Int(ef), max: limits.maxEf)
        try limits.check("nprobe", Int(nprobe), max: limits.maxNprobe)
        return SearchParameters(k: k, ef: ef == 0 ? nil : Int(ef), nprobe: nprobe == 0 ? nil : Int(nprobe))
    }

    func diversity(_ mmr: Ann_V1_Mmr?) throws -> RankingQuery.Diversity? {
        guard let mmr else { return nil }
        guard mmr.lambda >= 0 && mmr.lambda <= 1 else {
            throw ServerError.badRequest("mmr.lambda \(mmr.lambda): expected 0...1")
        }
        guard let similarity = mmr.similarity.isEmpty ? .cosine : RankingQuery.Diversity.Similarity(rawValue: mmr.similarity) else {
            throw ServerError.badRequest("mmr.similarity '\(mmr.similarity)': expected cosine or jaccard")
        }
        try limits.check("mmr.poolFactor", Int(mmr.poolFactor), max: 100)
        return RankingQuery.Diversity(lambda: mmr.lambda, similarity: similarity,
                                      poolFactor: mmr.poolFactor == 0 ? nil : Int(mmr.poolFactor))
    }

    func checkVector(_ v: [Float], dimension: Int, field: String) throws {
        guard !v.isEmpty else { throw ServerError.badRequest("\(field) is empty") }
        try limits.check("\(field) length", v.count, max: limits.maxDimension)
        guard v.count == dimension else { throw ServerError.dimensionMismatch(expected: dimension, got: v.count) }
        if let i = v.firstIndex(where: { !$0.isFinite }) {
            throw ServerError.badRequest("\(field)[\(i)] is \(v[i]): components must be finite")
        }
        let squaredNorm = v.withUnsafeBufferPointer { Distance.squaredNorm($0.baseAddress!, count: v.count) }
        guard squaredNorm <= Distance.maximumSquaredNorm else {
            throw ServerError.badRequest("\(field): squared norm \(squaredNorm) exceeds \(Distance.maximumSquaredNorm) (scores would overflow float32)")
        }
    }

    func results<C: Collection>(_ ranked: C, features: [String], reader: StoreReader) throws -> Ann_V1_Results
    where C.Element == RankedItem {
        try limits.check("feature columns asked", features.count, max: 256)
        var out = Ann_V1_Results()
        out.hits.reserveCapacity(ranked.count)
        for item in ranked {
            var hit = Ann_V1_Hit()
            hit.id = IDConversion.wire(try reader.externalID(ofRow: item.row, .item))
            hit.score = item.score
            if let reason = item.reason { hit.reason = reason }
            if let ann = item.annScore { hit.annScore = ann }
            if !features.isEmpty {
                let stored = try reader.features(row: item.row, .item)
                for name in features {
                    if let value = stored[name] { hit.features[name] = Self.wire(value) }
                }
            }
            out.hits.append(hit)
        }
        return out
    }

    static func wire(_ value: FeatureValue) -> Ann_V1_Feature {
        var f = Ann_V1_Feature()
        switch value {
        case .categorical(let label): f.label = label
        case .multiCategorical(let labels): f.labels.values = labels
        case .numeric(let x): f.number = x
        case .timestamp(let t): f.time = t
        }
        return f
    }
}
