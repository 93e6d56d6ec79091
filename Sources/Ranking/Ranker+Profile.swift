import Foundation
import Store
import VectorMath

extension Ranker {
    static let secondsPerDay = 86_400.0

    /// Resolves the request's user (by id) and sets up the request state.
    func prepare(_ reader: StoreReader, target: RankRequest.Target, user: ExternalID?, context: RequestContext) throws {
        var userID = user
        if userID == nil, case .user(let id) = target { userID = id }
        let row = try userID.flatMap { try reader.row(of: $0, .user) }
        try prepare(reader, userRow: row, target: target, context: context)
    }

    /// Sets the clock, loads the user's profile (history before the cut-off, label and hour
    /// distributions, user features) and finds the query vector.
    func prepare(_ reader: StoreReader, userRow: UInt32?, target: RankRequest.Target?, context: RequestContext) throws {
        time = context.time ?? Int64(Date().timeIntervalSince1970)
        let clock = Self.localClock(time, offset: context.utcOffsetSeconds)
        hourOfDay = Double(clock.second) / 3600
        weekday = Int(((clock.day + 4) % 7 + 7) % 7)   // 1970-01-01 was a Thursday; 0 = Sunday
        contextValues = context.values
        utcOffset = context.utcOffsetSeconds
        self.userRow = userRow
        try loadProfile(reader, cutoff: context.historyBefore ?? .max)
        try findQuery(reader, target: target, context: context)
    }

    /// The local day (since 1970-01-01) and second of that day of `time` at UTC offset
    /// `offset`, for any two Int64 values (no sum that could overflow is formed).
    static func localClock(_ time: Int64, offset: Int64) -> (day: Int64, second: Int64) {
        var day = time / 86_400 + offset / 86_400
        var second = time % 86_400 + offset % 86_400   // within (-172800, 172800)
        while second < 0 { second += 86_400; day -= 1 }
        while second >= 86_400 { second -= 86_400; day += 1 }
        return (day, second)
    }

    private func loadProfile(_ reader: StoreReader, cutoff: Int64) throws {
        historyRows.removeAll(keepingCapacity: true)
        historyTimes.removeAll(keepingCapacity: true)
        for code in touchedLabels { labelCounts[Int(code)] = 0 }
        touchedLabels.removeAll(keepingCapacity: true)
        labelTotal = 0
        for h in 0 ..< 24 { hourShare[h] = 0 }
        timedEvents = 0
        categoryEntropy = .nan
        newItemTaste = .nan
        recencyDays = .nan
        userFeatures = []
        for i in userNumeric.indices { userNumeric[i] = .nan }
        windowRows.removeAll(keepingCapacity: true)
        guard let userRow else { return }

        try reader.withHistory(ofUser: userRow) { view in
            for entry in view where entry.timestamp < cutoff {
                historyRows.append(entry.item)
                historyTimes.append(entry.timestamp)
            }
        }
        var newCount = 0, datedCount = 0
        var latest = HistoryEntry.unknownTime
        for (row, t) in zip(historyRows, historyTimes) {
            if let categories = catalog.categories {
                for p in categories.range(ofItem: row) {
                    let code = categories.code(at: p)
                    if labelCounts[Int(code)] == 0 { touchedLabels.append(code) }
                    labelCounts[Int(code)] += 1
                    labelTotal += 1
                }
            }
            guard t != HistoryEntry.unknownTime else { continue }
            latest = max(latest, t)
            hourShare[Int(Self.localClock(t, offset: utcOffset).second / 3600)] += 1
            timedEvents += 1
            if let released = catalog.released, Int(row) < released.count, released[Int(row)] != HistoryEntry.unknownTime {
                let age = Double(t) - Double(released[Int(row)])
                if age >= 0 {
                    datedCount += 1
                    if age < catalog.options.newItemDays * Self.secondsPerDay { newCount += 1 }
                }
            }
        }
        if timedEvents > 0 {
            for h in 0 ..< 24 { hourShare[h] /= Float(timedEvents) }
            recencyDays = Float(max(0, (Double(time) - Double(latest)) / Self.secondsPerDay))
        }
        if datedCount > 0 { newItemTaste = Float(newCount) / Float(datedCount) }
        if labelTotal > 0 {
            var entropy: Float = 0
            for code in touchedLabels {
                let p = labelCounts[Int(code)] / labelTotal
                entropy -= p * logf(p)
            }
            categoryEntropy = entropy
        }

        // The latest distinct items, newest first.
        var i = historyRows.count - 1
        while i >= 0 && windowRows.count < recommender.historyWindow {
            let row = historyRows[i]
            if !windowRows.contains(row) { windowRows.append(row) }
            i -= 1
        }
        userFeatures = try reader.storedFeatures(row: userRow, .user)
        for (column, value) in userFeatures {
            if case .numeric(let x) = value, Int(column) < userNumeric.count { userNumeric[Int(column)] = Float(x) }
        }
    }

    private func findQuery(_ reader: StoreReader, target: RankRequest.Target?, context: RequestContext) throws {
        let d = dimension
        // Window vectors: raw (for the history mean) with inverse norms (for cosines).
        let w = windowRows.count
        Self.grow(&windowVectors, to: w * d, 0)
        Self.grow(&windowPresent, to: w, false)
        Self.grow(&windowInverseNorms, to: w, 0)
        let table = try tables.table(reader)
        windowRows.withUnsafeBufferPointer { rows in
            windowVectors.withUnsafeMutableBufferPointer { v in
                windowPresent.withUnsafeMutableBufferPointer { p in
                    windowInverseNorms.withUnsafeMutableBufferPointer { inverse in
                        VectorGather.gather(table, rows: rows, into: v.baseAddress!, present: p.baseAddress!,
                                            inverseNorms: inverse.baseAddress!)
                    }
                }
            }
        }

        hasQuery = false
        querySource = .embedding
        switch target {
        case .user?:
            if let userRow {
                hasQuery = try reader.withVector(ofRow: userRow, .user) { v -> Bool in
                    guard let v else { return false }
                    for j in 0 ..< d { query[j] = v[j] }
                    return true
                }
            }
            if !hasQuery { hasQuery = historyMean() }
        case .item(let id)?:
            let row = try reader.requireRow(of: id, .item)
            hasQuery = try reader.withVector(ofRow: row, .item) { v -> Bool in
                guard let v else { return false }
                for j in 0 ..< d { query[j] = v[j] }
                return true
            }
            guard hasQuery else { throw RankingError.noVector(.item, id) }
        case .vector(let v)?:
            guard v.count == d else { throw RankingError.index(.dimensionMismatch(expected: d, got: v.count)) }
            for j in 0 ..< d { query[j] = v[j] }
            hasQuery = true
        case .popular?:
            break
        case nil:
            if let userRow {
                hasQuery = try reader.withVector(ofRow: userRow, .user) { v -> Bool in
                    guard let v else { return false }
                    for j in 0 ..< d { query[j] = v[j] }
                    return true
                }
            }
            if !hasQuery { hasQuery = historyMean() }
        }
        try blendSession(reader, context)
        if !hasQuery { querySource = .popular }
    }

    /// Query = mean of the window's item vectors; false when none has one.
    private func historyMean() -> Bool {
        let d = dimension
        var present = 0
        for j in 0 ..< d { query[j] = 0 }
        for i in 0 ..< windowRows.count where windowPresent[i] {
            present += 1
            for j in 0 ..< d { query[j] += windowVectors[i * d + j] }
        }
        guard present > 0 else { return false }
        for j in 0 ..< d { query[j] /= Float(present) }
        querySource = .historyMean
        return true
    }

    /// Blends the mean embedding of the session's items into the query
    /// (`(1 - w) * query + w * mean`), or makes it the query when there is none.
    private func blendSession(_ reader: StoreReader, _ context: RequestContext) throws {
        sessionRows.removeAll(keepingCapacity: true)
        for id in context.sessionItems {
            if let row = try reader.row(of: id, .item) { sessionRows.append(row) }
        }
        let s = sessionRows.count, d = dimension
        guard s > 0 else { return }
        Self.grow(&sessionVectors, to: s * d, 0)
        Self.grow(&sessionPresent, to: s, false)
        let table = try tables.table(reader)
        sessionRows.withUnsafeBufferPointer { rows in
            sessionVectors.withUnsafeMutableBufferPointer { v in
                sessionPresent.withUnsafeMutableBufferPointer { p in
                    VectorGather.gather(table, rows: rows, into: v.baseAddress!, present: p.baseAddress!)
                }
            }
        }
        let present = (0 ..< s).filter { sessionPresent[$0] }.count
        guard present > 0 else { return }
        let weight = hasQuery ? context.sessionWeight : 1
        for j in 0 ..< d {
            var mean: Float = 0
            for i in 0 ..< s where sessionPresent[i] { mean += sessionVectors[i * d + j] }
            mean /= Float(present)
            query[j] = (1 - weight) * (hasQuery ? query[j] : 0) + weight * mean
        }
        if !hasQuery { querySource = .session }
        hasQuery = true
    }
}
