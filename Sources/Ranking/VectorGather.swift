import Store

/// Copies the stored vectors of arbitrary item rows into a dense row-major scratch matrix.
/// Few rows are read one at a time; more are read in one ordered pass over the vector blocks
/// (the rows sorted first, in place), so each block is looked up once.
@usableFromInline
enum VectorGather {
    /// Rows up to this count are read one by one.
    static let directLimit = 4

    /// Writes the vector of `rows[i]` to `out[i * dimension ..< (i + 1) * dimension]` and sets
    /// `present[i]`; a vacant or unknown row gets zeros and `present[i] == false`.
    /// `keys` is scratch (grown when too small).
    static func gather(_ reader: StoreReader, rows: UnsafeBufferPointer<UInt32>, dimension d: Int,
                       into out: UnsafeMutablePointer<Float>, present: UnsafeMutablePointer<Bool>,
                       keys: inout [UInt64]) throws {
        let n = rows.count
        guard n > 0 else { return }
        out.update(repeating: 0, count: n * d)
        present.update(repeating: false, count: n)
        if n <= directLimit {
            for i in 0 ..< n {
                try reader.withVector(ofRow: rows[i], .item) { v in
                    if let v {
                        (out + i * d).update(from: v.baseAddress!, count: d)
                        present[i] = true
                    }
                }
            }
            return
        }
        if keys.count < n { keys = [UInt64](repeating: 0, count: max(n, keys.count * 2)) }
        try keys.withUnsafeMutableBufferPointer { k in
            for i in 0 ..< n { k[i] = UInt64(rows[i]) << 32 | UInt64(i) }
            let sorted = UnsafeMutableBufferPointer(rebasing: k[0 ..< n])
            HeapSort.sort(sorted)
            var p = 0
            try reader.forEachVectorBlock(.item) { block in
                let first = UInt64(block.firstRow), end = first + UInt64(block.count)
                while p < n {
                    let row = sorted[p] >> 32
                    if row >= end { break }
                    if row >= first {
                        let i = Int(sorted[p] & 0xFFFF_FFFF)
                        let source = block.vectors.baseAddress! + Int(row - first) * d
                        if !source[0].isNaN {
                            (out + i * d).update(from: source, count: d)
                            present[i] = true
                        }
                    }
                    p += 1
                }
                return p < n
            }
        }
    }
}

/// In-place heapsort of integers: no allocation (the standard library's sort may allocate).
@usableFromInline
enum HeapSort {
    static func sort(_ a: UnsafeMutableBufferPointer<UInt64>) {
        let n = a.count
        guard n > 1 else { return }
        var start = n / 2
        while start > 0 {
            start -= 1
            siftDown(a, start, n)
        }
        var end = n
        while end > 1 {
            end -= 1
            a.swapAt(0, end)
            siftDown(a, 0, end)
        }
    }

    private static func siftDown(_ a: UnsafeMutableBufferPointer<UInt64>, _ start: Int, _ end: Int) {
        var root = start
        let value = a[root]
        while true {
            var child = 2 * root + 1
            if child >= end { break }
            if child + 1 < end && a[child + 1] > a[child] { child += 1 }
            if a[child] <= value { break }
            a[root] = a[child]
            root = child
        }
        a[root] = value
    }
}
