/// An array kept as chunks of `chunkSize` elements, each its own copy-on-write array: a copy
/// shares every chunk, and writing an element copies only the chunk that holds it. So a patched
/// copy of a column of a million rows costs the chunks the patch touches (16 KB each for
/// floats) plus one reference per chunk, not the whole column. Reads cost one more load than
/// an `Array`'s. Every chunk but the last is full, so equal contents mean equal chunks.
public struct ChunkedArray<Element>: RandomAccessCollection, MutableCollection {
    @inlinable public static var chunkShift: Int { 12 }
    @inlinable public static var chunkSize: Int { 1 << chunkShift }
    @usableFromInline static var mask: Int { chunkSize - 1 }

    // Everything is inlinable so that client modules specialise it (unspecialised, each
    // element cost a generic metadata lookup: a million-row column took 0.3 s to fill).
    @usableFromInline var chunks: [[Element]]
    @usableFromInline var storedCount: Int

    @inlinable
    public init() {
        chunks = []
        storedCount = 0
    }

    @inlinable
    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        self.init()
        append(contentsOf: elements)
    }

    @inlinable
    public init(repeating value: Element, count: Int) {
        self.init()
        append(repeating: value, count: count)
    }

    @inlinable public var count: Int { storedCount }
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storedCount }
    @inlinable public func index(after i: Int) -> Int { i + 1 }
    @inlinable public func index(before i: Int) -> Int { i - 1 }

    @inlinable
    public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & Self.mask] }
        set { chunks[position >> Self.chunkShift][position & Self.mask] = newValue }
    }

    @inlinable
    public mutating func append(_ element: Element) {
        if storedCount & Self.mask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        storedCount += 1
    }

    @inlinable
    public mutating func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    @inlinable
    public mutating func append(repeating value: Element, count n: Int) {
        precondition(n >= 0, "ChunkedArray.append(repeating:count:): negative count \(n)")
        var left = n
        while left > 0 {
            if storedCount & Self.mask == 0 {
                var chunk: [Element] = []
                chunk.reserveCapacity(Self.chunkSize)
                chunks.append(chunk)
            }
            let room = Self.chunkSize - (storedCount & Self.mask)
            let take = Swift.min(room, left)
            chunks[chunks.count - 1].append(contentsOf: repeatElement(value, count: take))
            storedCount += take
            left -= take
        }
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    @inlinable
    public static func == (a: Self, b: Self) -> Bool { a.count == b.count && a.chunks == b.chunks }
}

extension ChunkedArray: Sendable where Element: Sendable {}

extension ChunkedArray: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}
