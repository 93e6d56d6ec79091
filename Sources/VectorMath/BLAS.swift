import COpenBLAS

/// Thin wrappers over OpenBLAS. Pointers in, nothing allocated.
///
/// OpenBLAS runs one product on its own thread pool (`setThreads`). A server whose workers each
/// run small products usually wants `setThreads(1)` and parallelism across workers instead.
public enum BLAS {
    /// Computes `C = A * B^T` in row-major order: `A` is `rowsA x dimension`, `B` is
    /// `rowsB x dimension`, `C` is `rowsA x rowsB`, so `C[i * rowsB + j] = dot(A row i, B row j)`.
    /// Uses `sgemv` when `rowsA == 1`, `sgemm` otherwise. `C` must not overlap `A` or `B`.
    public static func multiplyTransposed(
        a: UnsafePointer<Float>, rowsA: Int,
        b: UnsafePointer<Float>, rowsB: Int,
        dimension: Int,
        into c: UnsafeMutablePointer<Float>
    ) {
        precondition(rowsA >= 0 && rowsB >= 0 && dimension >= 0,
                     "BLAS.multiplyTransposed: negative size (rowsA \(rowsA), rowsB \(rowsB), dimension \(dimension))")
        guard rowsA > 0, rowsB > 0 else { return }
        guard dimension > 0 else {
            c.update(repeating: 0, count: rowsA * rowsB)
            return
        }
        let m = blasSize(rowsA, "rowsA"), n = blasSize(rowsB, "rowsB"), k = blasSize(dimension, "dimension")
        if rowsA == 1 {
            // c (1 x rowsB) = B (rowsB x dimension) * a
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1, b, k, a, 1, 0, c, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n)
        }
    }

    /// Sets the number of threads OpenBLAS uses for one product (process-wide).
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS.setThreads: count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(clamping: count))
    }

    /// The number of threads OpenBLAS currently uses for one product.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The CPU kernel family OpenBLAS picked at run time (for example "Haswell", "SkylakeX").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    private static func blasSize(_ value: Int, _ name: String) -> blasint {
        guard let v = blasint(exactly: value) else {
            preconditionFailure("BLAS: \(name) \(value) does not fit the BLAS integer type")
        }
        return v
    }
}
