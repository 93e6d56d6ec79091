import Ranking
import VectorMath
import Store
import VectorIndex
import Wire

/// Turns a request's `Filter` into a `SearchFilter`.
enum FilterResolver {
    static let defaultCategoryColumn = "category"

    /// The column a filter without `category_column` means: the ranking catalogue's category
    /// column (`categories`, else `category`, else the first categorical one).
    static func defaultColumn(_ reader: StoreReader) throws -> String {
        ItemCatalog.defaultCategoryColumn(in: try reader.featureColumns(.item)) ?? defaultCategoryColumn
    }

    static func resolve(_ filter: Ann_V1_Filter?, reader: StoreReader,
                        categories: CategoryBitmaps, limits: ServerLimits) throws -> SearchFilter? {
        var result = SearchFilter()
        var excluded = RowBitmap()
        if let filter {
            try limits.check("filter ids", filter.excludeItems.count + filter.onlyItems.count, max: limits.maxWriteRecords)
            for (i, id) in filter.excludeItems.enumerated() {
                // An unknown id to leave out cannot be returned anyway.
                if let row = try reader.row(of: try IDConversion.external(id, "filter.excludeItems[\(i)]"), .item) {
                    excluded.insert(row)
                }
            }
            if !filter.onlyItems.isEmpty {
                var allowed = RowBitmap()
                for (i, id) in filter.onlyItems.enumerated() {
                    allowed.insert(try IDConversion.row(id, .item, reader: reader, field: "filter.onlyItems[\(i)]"))
                }
                result.allowed = allowed
            }
            if !filter.categories.isEmpty || !filter.excludeCategories.isEmpty {
                let column = filter.categoryColumn.isEmpty ? try defaultColumn(reader) : filter.categoryColumn
                if !filter.categories.isEmpty {
                    let rows = try categories.rows(column: column, labels: filter.categories, reader: reader)
                    result.allow(only: rows)
                }
                if !filter.excludeCategories.isEmpty {
                    excluded.formUnion(try categories.rows(column: column, labels: filter.excludeCategories, reader: reader))
                }
            }
        }
        if excluded.count > 0 { result.excluded = excluded }
        return result.isEmpty ? nil : result
    }
}
