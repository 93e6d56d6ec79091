/// An array kept as chunks of `chunkSize` elements, each its own copy-on-write array: a copy
/// shares every chunk, and writing an element copies only the chunk that holds it. So a patched
/// copy of a column of a million rows costs the chunks the patch touches (16 KB each for
/// floats) plus one reference per chunk, not the whole column. Reads cost one more load than
/// an `Array`'s. Every chunk but the last is full, so equal contents mean equal chunks.
public struct ChunkedArray<Element>: RandomAccessCollection, MutableCollection {
    public static var chunkShift: Int { 12 }
    public static var chunkSize: Int { 1 << chunkShift }
    @usableFromInline static var mask: Int { chunkSize - 1 }

    @usableFromInline var chunks: [[Element]]
    public private(set) var count: Int

    public init() {
        chunks = []
        count = 0
    }

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        self.init()
        append(contentsOf: elements)
    }

    public init(repeating value: Element, count: Int) {
        self.init()
        append(repeating: value, count: count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable
    public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & Self.mask] }
        set { chunks[position >> Self.chunkShift][position & Self.mask] = newValue }
    }

    public mutating func append(_ element: Element) {
        if count & Self.mask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    public mutating func append<S: Sequence>(contentsOf elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    public mutating func append(repeating value: Element, count n: Int) {
        precondition(n >= 0, "ChunkedArray.append(repeating:count:): negative count \(n)")
        var left = n
        while left > 0 {
            if count & Self.mask == 0 {
                var chunk: [Element] = []
                chunk.reserveCapacity(Self.chunkSize)
                chunks.append(chunk)
            }
            let room = Self.chunkSize - (count & Self.mask)
            let take = Swift.min(room, left)
            chunks[chunks.count - 1].append(contentsOf: repeatElement(value, count: take))
            count += take
            left -= take
        }
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.count == b.count && a.chunks == b.chunks }
}

extension ChunkedArray: Sendable where Element: Sendable {}

extension ChunkedArray: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}
