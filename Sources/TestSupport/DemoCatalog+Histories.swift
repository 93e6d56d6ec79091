import Foundation

/// Interaction histories. Each user gets `historyLength` events at increasing times within the
/// last `historyDays` of the release span. Each event picks one not-yet-seen item, released
/// before the event, from a softmax over
///     3 * (user · item)  -  0.5 * log(popularity rank + 1)  +  log(recency factor)
/// where the recency factor is up to 4 for an item released in the last 30 days.
/// Only a candidate subset is scored per user: up to 400 items from each taste cluster,
/// 150 from the popular head and 100 at random. The last `testFraction` of each user's
/// events form the test split.
extension DemoCatalog {
    static let affinityWeight = 3.0
    static let popularityWeight = 0.5
    static let recencyBoost = 3.0
    static let recencyWindow: Int64 = 30 * secondsPerDay

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

        // Base weights: affinity and popularity, shifted by the maximum so exp cannot overflow.
        var logits = [Double](repeating: 0, count: unique.count)
        items.vectors.withUnsafeBufferPointer { x in
            users.vectors.withUnsafeBufferPointer { u in
                let userRow = u.baseAddress! + user * d
                for (i, item) in unique.enumerated() {
                    let dot = Double(GroundTruth.dotProduct(userRow, x.baseAddress! + Int(item) * d, d))
                    logits[i] = affinityWeight * dot - popularityWeight * log(Double(items.rank[Int(item)] + 1))
                }
            }
        }
        let top = logits.max() ?? 0
        let weights = logits.map { exp($0 - top) }
        let released = unique.map { items.released[Int($0)] }

        let end = spec.epochBase + Int64(spec.releaseDays) * secondsPerDay
        let start = end - Int64(spec.historyDays) * secondsPerDay
        let span = Double(end - start)
        var times = (0..<users.historyLength[user]).map { _ in start + Int64(rng.nextDouble() * span) }
        times.sort()
        for i in times.indices.dropFirst() where times[i] <= times[i - 1] { times[i] = times[i - 1] + 1 }

        var seen = [Bool](repeating: false, count: unique.count)
        var current = [Double](repeating: 0, count: unique.count)
        var events: [Interaction] = []
        events.reserveCapacity(times.count)
        for t in times {
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
