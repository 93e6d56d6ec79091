import XCTest
@testable import Ingest

final class ByteSourceTests: XCTestCase {
    func lines(_ source: ByteSource) throws -> [String] {
        var out: [String] = []
        while let line = try source.nextLine({ String(decoding: $0, as: UTF8.self) }) { out.append(line) }
        return out
    }

    func testLinesAcrossSmallChunksAndGrowth() throws {
        let files = try TestFiles()
        var expected: [String] = []
        var text = "\u{FEFF}"
        for k in 0..<300 {
            let line = String(repeating: Character(Unicode.Scalar(UInt8(97 + k % 26))), count: (k * 37) % 200)
            expected.append(line)
            text += line + (k % 3 == 0 ? "\r\n" : "\n")
        }
        text += "last"
        expected.append("last")
        let p = try files.write("l.txt", text: text)
        let source = try ByteSource(path: p, chunkSize: 64)
        XCTAssertEqual(try lines(source), expected)
        XCTAssertEqual(source.lineNumber, 301)
        XCTAssertEqual(source.bytesConsumed, source.totalBytes)
    }

    func testEmptyFileAndLoneNewline() throws {
        let files = try TestFiles()
        XCTAssertEqual(try lines(ByteSource(path: files.write("e.txt", text: ""))), [])
        XCTAssertEqual(try lines(ByteSource(path: files.write("n.txt", text: "\n"))), [""])
    }

    func testReadBytesMixesBufferedAndDirectReads() throws {
        let files = try TestFiles()
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        let source = try ByteSource(path: files.write("b.bin", bytes: bytes), chunkSize: 64)
        XCTAssertEqual(try source.peekBytes(3), [0, 1, 2])
        var got: [UInt8] = []
        for size in [5, 100, 7, 500, 1000] {
            var chunk = [UInt8](repeating: 0, count: size)
            let n = try chunk.withUnsafeMutableBytes { try source.readBytes(into: $0) }
            got += chunk.prefix(n)
        }
        XCTAssertEqual(got, bytes)
        XCTAssertEqual(source.bytesConsumed, 1000)
    }

    func testDirectoryCannotBeOpened() throws {
        let files = try TestFiles()
        assertThrows(.cannotOpen(file: files.directory.path, reason: "is a directory")) { try ByteSource(path: files.directory.path) }
    }
}
