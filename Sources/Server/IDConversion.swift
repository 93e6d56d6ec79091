import Store
import Wire

/// ann.v1 ids <-> store ids. A `str` is read by the project's one rule (`ExternalID.parse`):
/// canonical decimal digits are a number.
enum IDConversion {
    static func external(_ id: Ann_V1_Id, _ field: @autoclosure () -> String) throws -> ExternalID {
        switch id.kind {
        case .num(let n): return .number(n)
        case .str(let s):
            switch ExternalID.parse(s) {
            case .success(let parsed): return parsed
            case .failure(let why): throw ServerError.badRequest("\(field()): \(why)")
            }
        case nil: throw ServerError.badRequest("\(field()): id missing (set num or str)")
        }
    }

    static func wire(_ id: ExternalID) -> Ann_V1_Id {
        switch id {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        }
    }

    /// The row of a known id; UNKNOWN_ID otherwise.
    static func row(_ id: Ann_V1_Id, _ entity: Entity, reader: StoreReader, field: @autoclosure () -> String) throws -> UInt32 {
        let external = try external(id, field())
        guard let row = try reader.row(of: external, entity) else { throw ServerError.unknownID(entity, external.description) }
        return row
    }
}
