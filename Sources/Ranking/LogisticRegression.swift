import Foundation
import VectorMath

/// L2-regularised logistic regression fitted by Newton's method (iteratively reweighted
/// least squares) with a backtracking line search. Data is feature-major (`features x n`,
/// one row per feature) so the Hessian `X^T W X` is one BLAS product; gradients and losses
/// are summed in double precision. The bias is not penalised.
public struct LogisticRegression: Sendable, Equatable {
    public var weights: [Double]
    public var bias: Double

    public init(weights: [Double], bias: Double) {
        self.weights = weights
        self.bias = bias
    }

    /// Fits `P(y = 1 | x) = sigmoid(bias + weights . x)` minimising
    /// `sum_i logloss_i + l2 / 2 * |weights|^2`. `x` holds `featureCount` rows of `labels.count` values.
    public static func fit(x: [Float], featureCount p: Int, labels: [Bool], l2: Double,
                           maxIterations: Int = 30, tolerance: Double = 1e-7) -> LogisticRegression {
        let n = labels.count
        precondition(x.count == p * n, "LogisticRegression.fit: \(x.count) values, expected \(p) x \(n)")
        precondition(l2 >= 0, "LogisticRegression.fit: l2 must not be negative")
        let m = p + 1   // the bias is parameter p, on a constant-1 row
        var beta = [Double](repeating: 0, count: m)
        let positives = labels.filter { $0 }.count
        if positives > 0 && positives < n { beta[p] = log(Double(positives) / Double(n - positives)) }

        var margins = [Double](repeating: 0, count: n)
        func computeMargins(_ b: [Double], into out: inout [Double]) {
            Self.linearScores(x, weights: b, features: p, count: n, start: b[p], into: &out)
        }
        func objective(_ b: [Double], _ z: [Double]) -> Double {
            var loss = 0.0
            for i in 0 ..< n { loss += labels[i] ? softplus(-z[i]) : softplus(z[i]) }
            for f in 0 ..< p { loss += 0.5 * l2 * b[f] * b[f] }
            return loss
        }
        computeMargins(beta, into: &margins)
        var current = objective(beta, margins)
        var weighted = [Float](repeating: 0, count: m * n)
        var hessianFloat = [Float](repeating: 0, count: m * m)
        var trial = [Double](repeating: 0, count: n)

        for _ in 0 ..< maxIterations {
            var gradient = [Double](repeating: 0, count: m)
            var root = [Float](repeating: 0, count: n)
            var residual = [Double](repeating: 0, count: n)
            for i in 0 ..< n {
                let q = sigmoid(margins[i])
                residual[i] = q - (labels[i] ? 1 : 0)
                root[i] = Float((q * (1 - q)).squareRoot())
            }
            x.withUnsafeBufferPointer { xs in
                weighted.withUnsafeMutableBufferPointer { w in
                    for f in 0 ..< p {
                        let row = xs.baseAddress! + f * n, out = w.baseAddress! + f * n
                        var g = 0.0
                        for i in 0 ..< n {
                            g += residual[i] * Double(row[i])
                            out[i] = row[i] * root[i]
                        }
                        gradient[f] = g + l2 * beta[f]
                    }
                    let out = w.baseAddress! + p * n
                    for i in 0 ..< n { out[i] = root[i] }
                }
            }
            gradient[p] = residual.reduce(0, +)
            weighted.withUnsafeBufferPointer { w in
                hessianFloat.withUnsafeMutableBufferPointer { h in
                    BLAS.multiplyTransposed(a: w.baseAddress!, rowsA: m, b: w.baseAddress!, rowsB: m, dimension: n, into: h.baseAddress!)
                }
            }
            var hessian = hessianFloat.map(Double.init)
            for f in 0 ..< p { hessian[f * m + f] += l2 }
            for f in 0 ..< m { hessian[f * m + f] += 1e-9 * Double(n) }
            guard let step = solve(hessian, gradient, m) else { break }

            guard let converged = lineSearch(beta: &beta, step: step, current: &current, tolerance: tolerance,
                                             evaluate: { computeMargins($0, into: &trial); return objective($0, trial) },
                                             accept: { swap(&margins, &trial) }) else { break }
            if converged { break }
        }
        return LogisticRegression(weights: Array(beta[0 ..< p]), bias: beta[p])
    }

    /// The backtracking half of a Newton iteration (shared by the fits of this module): tries
    /// `beta - t * step` for t = 1, 1/2, ... (30 halvings) and takes the first candidate whose
    /// objective does not exceed `current`. `evaluate` scores a candidate (into the caller's trial
    /// buffer); `accept` runs once for the candidate taken. Returns nil when none was taken, else
    /// whether the improvement fell under `tolerance` (relative): the fit has converged.
    static func lineSearch(beta: inout [Double], step: [Double], current: inout Double, tolerance: Double,
                           evaluate: ([Double]) -> Double, accept: () -> Void) -> Bool? {
        var t = 1.0
        for _ in 0 ..< 30 {
            let candidate = (0 ..< beta.count).map { beta[$0] - t * step[$0] }
            let value = evaluate(candidate)
            if value <= current {
                beta = candidate
                accept()
                let improvement = current - value
                current = value
                return improvement <= tolerance * max(1, abs(current))
            }
            t *= 0.5
        }
        return nil
    }

    /// `P(y = 1)` for each of the `x.count / weights.count` examples (feature-major `x`).
    public func probabilities(x: [Float], count n: Int) -> [Double] {
        var z = [Double](repeating: 0, count: n)
        Self.linearScores(x, weights: weights, features: weights.count, count: n, start: bias, into: &z)
        return z.map(Self.sigmoid)
    }

    /// `out[i] = start + sum_f weights[f] * x[f * n + i]` over the first `p` weights, for the `n`
    /// examples of the feature-major `x` (zero weights skipped); shared by both ranker fits.
    static func linearScores(_ x: [Float], weights: [Double], features p: Int, count n: Int, start: Double,
                             into out: inout [Double]) {
        for i in 0 ..< n { out[i] = start }
        x.withUnsafeBufferPointer { xs in
            for f in 0 ..< p where weights[f] != 0 {
                let row = xs.baseAddress! + f * n, w = weights[f]
                for i in 0 ..< n { out[i] += w * Double(row[i]) }
            }
        }
    }

    @inlinable
    static func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

    /// `log(1 + exp(z))` without overflow.
    @inlinable
    static func softplus(_ z: Double) -> Double { z > 30 ? z : (z < -30 ? exp(z) : log1p(exp(z))) }

    /// Solves the symmetric positive definite `a x = b` (`m x m`, row-major) by Cholesky; nil
    /// when `a` is not positive definite.
    static func solve(_ a: [Double], _ b: [Double], _ m: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: m * m)
        for i in 0 ..< m {
            for j in 0 ... i {
                var s = a[i * m + j]
                for k in 0 ..< j { s -= l[i * m + k] * l[j * m + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * m + i] = s.squareRoot()
                } else {
                    l[i * m + j] = s / l[j * m + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: m)
        for i in 0 ..< m {
            var s = b[i]
            for k in 0 ..< i { s -= l[i * m + k] * y[k] }
            y[i] = s / l[i * m + i]
        }
        var x = [Double](repeating: 0, count: m)
        for i in stride(from: m - 1, through: 0, by: -1) {
            var s = y[i]
            for k in i + 1 ..< m { s -= l[k * m + i] * x[k] }
            x[i] = s / l[i * m + i]
        }
        return x
    }
}
