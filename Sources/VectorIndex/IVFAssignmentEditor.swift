import LMDB
import Store

/// Reads and edits `ivf_assignments` blocks in memory; `flush` writes the edited ones.
struct IVFAssignmentEditor {
    let tables: IVFTables
    let txn: Transaction
    var blocks: [UInt32: [UInt32]] = [:]
    var dirty: Set<UInt32> = []

    init(tables: IVFTables, txn: Transaction) throws {
        self.tables = tables
        self.txn = txn
    }

    mutating func block(_ number: UInt32) throws -> [UInt32] {
        if let b = blocks[number] { return b }
        let per = IVFLayout.rowsPerAssignmentBlock
        let b = try IVFTables.lmdb("read ivf_assignments \(number)") {
            try KeyCodec.withRowKey(number) { key in
                try txn.withValue(forKey: key, in: tables.assignments) { raw -> [UInt32] in
                    guard let raw else { return [UInt32](repeating: IVFLayout.noList, count: per) }
                    guard raw.count == per * 4 else {
                        throw IndexError.corruptIndex(table: IVFLayout.Table.assignments.rawValue, reason: "block \(number): \(raw.count) bytes, expected \(per * 4)")
                    }
                    return (0..<per).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
                }
            }
        }
        blocks[number] = b
        return b
    }

    mutating func list(of row: UInt32) throws -> UInt32 {
        let per = UInt32(IVFLayout.rowsPerAssignmentBlock)
        return try block(row / per)[Int(row % per)]
    }

    mutating func set(_ row: UInt32, list: UInt32) throws {
        let per = UInt32(IVFLayout.rowsPerAssignmentBlock)
        _ = try block(row / per)
        blocks[row / per]![Int(row % per)] = list
        dirty.insert(row / per)
    }

    func flush() throws {
        for number in dirty.sorted() {
            let values = blocks[number]!.map(\.littleEndian)
            try IVFTables.lmdb("write ivf_assignments \(number)") {
                try KeyCodec.withRowKey(number) { key in
                    try values.withUnsafeBytes { try txn.put($0, forKey: key, in: tables.assignments) }
                }
            }
        }
    }
}
