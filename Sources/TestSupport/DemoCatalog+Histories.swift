import Foundation

/// Interaction histories. Each user gets `historyLength` events on random days within the
/// last `historyDays` of the release span; the hour of an event is near the user's active hour
/// (normal, sd `activeHourSpread` hours, circular) with probability `activeShare`, else
/// uniform. Each event picks one not-yet-seen item, released before the event, from a softmax over
///     a(m) * 3 * (user · item)  -  b(m) * 0.5 * log(popularity rank + 1)  +  log(recency factor)
/// where the recency factor is up to 4 for an item released in the last 30 days, and
/// `m = exp(-d^2 / 8)` matches the event's hour to the user's active hour (d: circular hour
/// distance): at active hours (m = 1) a = b = 1; off hours the choice follows taste less
/// (a = 0.6) and popularity more (b = 1.6), as casual browsing does. So the hour of a request
/// against the hours of the user's history (`cross.hour_match`) changes how a ranker should
/// weigh the embedding score and popularity (declared crosses learn it).
/// Only a candidate subset is scored per user: up to 400 items from each taste cluster,
/// 150 from the popular head and 100 at random. The last `testFraction` of each user's
/// events form the test split.
extension DemoCatalog {
    static let affinityWeight = 3.0
    static let popularityWeight = 0.5
    static let recencyBoost = 3.0
    static let recencyWindow: Int64 = 30 * secondsPerDay
    static let activeShare = 0.8
    static let activeHourSpread = 2.0

    /// Taste and popularity multipliers at hour match `m` (see above).
    static func hourScales(match m: Double) -> (affinity: Double, popularity: Double) {
        (0.6 + 0.4 * m, 1.6 - 0.6 * m)
    }

    /// `exp(-d^2 / 8)` of the circular distance in hours between `hour` and `active`.
    static func hourMatch(_ hour: Double, active: Double) -> Double {
        let raw = abs(hour - active).truncatingRemainder(dividingBy: 24)
        let d = min(raw, 24 - raw)
        return exp(-d * d / 8)
    }

    static func makeHistories(_ spec: DemoCatalogSpec, _ items: ItemTable,
                              _ users: UserTable) -> (train: [Interaction], test: [Interaction]) {
        var members = [[Int32]](repeating: [], count: Int(items.clusters.max() ?? 0) + 1)
        for (i, k) in items.clusters.enumerated() { members[Int(k)].append(Int32(i)) }
        let head = Array(items.byRank.prefix(max(100, spec.items / 50)).map { Int32($0) })
        let historySeed = subSeed(spec.seed, .histories)

        var perUser = [[Interaction]](repeating: [], count: spec.users)
        perUser.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            ClusteredEmbeddings.parallelRanges(spec.users, grain: 64) { range in
                for user in range {
                    (base + user).pointee = history(of: user, spec, items, users, members, head, historySeed)
                }
            }
        }

        var train: [Interaction] = []
        var test: [Interaction] = []
        for events in perUser {
            let testCount = events.count < 2 ? 0 : min(events.count - 1, Int((Double(events.count) * spec.testFraction).rounded()))
            train += events.prefix(events.count - testCount)
            test += events.suffix(testCount)
        }
        return (train, test)
    }

    private static func history(of user: Int, _ spec: DemoCatalogSpec, _ items: ItemTable, _ users: UserTable,
                                _ members: [[Int32]], _ head: [Int32], _ seed: UInt64) -> [Interaction] {
        let d = spec.dimension
        var rng = SeededRandom(seed: seed, stream: UInt64(user))

        var candidates: [Int32] = []
        for k in users.tastes[user] {
            let cluster = members[k]
            if cluster.count <= 400 {
                candidates += cluster
            } else {
                candidates += rng.sample(400, from: cluster.count).map { cluster[$0] }
            }
        }
        candidates += rng.sample(150, from: head.count).map { head[$0] }
        for _ in 0..<100 { candidates.append(Int32(rng.next(below: spec.items))) }
        candidates.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(candidates.count)
        for c in candidates where unique.last != c { unique.append(c) }

        // Taste and popularity terms of each candidate; the event's hour scales them.
        var affinity = [Double](repeating: 0, count: unique.count)
        var popularity = [Double](repeating: 0, count: unique.count)
        items.vectors.withUnsafeBufferPointer { x in
            users.vectors.withUnsafeBufferPointer { u in
                let userRow = u.baseAddress! + user * d
                for (i, item) in unique.enumerated() {
                    affinity[i] = affinityWeight * Double(GroundTruth.dotProduct(userRow, x.baseAddress! + Int(item) * d, d))
                    popularity[i] = -popularityWeight * log(Double(items.rank[Int(item)] + 1))
                }
            }
        }
        var weights = [Double](repeating: 0, count: unique.count)
        let released = unique.map { items.released[Int($0)] }

        let end = spec.epochBase + Int64(spec.releaseDays) * secondsPerDay
        let start = end - Int64(spec.historyDays) * secondsPerDay
        let active = users.activeHour[user]
        var times = (0..<users.historyLength[user]).map { _ -> Int64 in
            let day = Int64(rng.nextDouble() * Double(spec.historyDays))
            var hour = rng.nextBool(probability: activeShare) ? active + activeHourSpread * rng.nextGaussian() : 24 * rng.nextDouble()
            hour = (hour.truncatingRemainder(dividingBy: 24) + 24).truncatingRemainder(dividingBy: 24)
            return min(end - 1, start + day * secondsPerDay + Int64(hour * 3600))
        }
        times.sort()
        for i in times.indices.dropFirst() where times[i] <= times[i - 1] { times[i] = times[i - 1] + 1 }

        var seen = [Bool](repeating: false, count: unique.count)
        var current = [Double](repeating: 0, count: unique.count)
        var events: [Interaction] = []
        events.reserveCapacity(times.count)
        for t in times {
            let hour = Double(((t % secondsPerDay) + secondsPerDay) % secondsPerDay) / 3600
            let (a, b) = hourScales(match: hourMatch(hour, active: active))
            var top = -Double.infinity
            for i in unique.indices { top = max(top, a * affinity[i] + b * popularity[i]) }
            for i in unique.indices { weights[i] = exp(a * affinity[i] + b * popularity[i] - top) }
            var total = 0.0
            for i in unique.indices {
                var w = 0.0
                if !seen[i] && released[i] <= t {
                    let age = t - released[i]
                    w = age < recencyWindow ? weights[i] * (1 + recencyBoost * Double(recencyWindow - age) / Double(recencyWindow))
                                            : weights[i]
                }
                current[i] = w
                total += w
            }
            if total <= 0 { continue }
            var target = rng.nextDouble() * total
            var pick = unique.count - 1
            for i in unique.indices where current[i] > 0 {
                target -= current[i]
                pick = i
                if target < 0 { break }
            }
            seen[pick] = true
            events.append(Interaction(user: Int32(user), item: unique[pick], timestamp: t))
        }
        return events
    }
}
