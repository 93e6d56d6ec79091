import Foundation
import VectorMath

/// L2-regularised conditional (multinomial) logit: each group of `groupSize` consecutive
/// examples is one choice, its first example the item chosen, the others alternatives that
/// were on offer; `P(chosen | group) = exp(w . x_0) / sum_j exp(w . x_j)`. Only differences
/// within a group matter, so there is no bias, and a feature that is constant within every
/// group (a user or context feature alone) gets weight 0: what is fitted is the ordering of a
/// request's candidates, which is what ranking needs. With alternatives drawn uniformly from
/// the choice set, the estimate is consistent for the choice model over the whole set
/// (McFadden 1978), which binary logistic regression on the same examples is not.
///
/// Fitted by Newton's method: the Hessian is the sum over groups of the choice-weighted
/// covariance of the features, one BLAS product over `sqrt(p_j) (x_j - mean_p x)`.
public struct ConditionalLogit: Sendable, Equatable {
    public var weights: [Double]

    public init(weights: [Double]) { self.weights = weights }

    /// `x`: feature-major, `featureCount` rows of `groups * groupSize` values.
    public static func fit(x: [Float], featureCount p: Int, groupSize g: Int, l2: Double,
                           maxIterations: Int = 30, tolerance: Double = 1e-7) -> ConditionalLogit {
        precondition(g >= 2, "ConditionalLogit.fit: groups need at least 2 examples")
        precondition(p > 0 && x.count % (p * g) == 0, "ConditionalLogit.fit: \(x.count) values, not \(p) features x groups of \(g)")
        precondition(l2 >= 0, "ConditionalLogit.fit: l2 must not be negative")
        let n = x.count / p, groups = n / g
        var beta = [Double](repeating: 0, count: p)
        var scores = [Double](repeating: 0, count: n)
        var trial = [Double](repeating: 0, count: n)

        func computeScores(_ b: [Double], into out: inout [Double]) {
            LogisticRegression.linearScores(x, weights: b, features: p, count: n, start: 0, into: &out)
        }
        /// Negative log-likelihood plus the penalty.
        func objective(_ b: [Double], _ z: [Double]) -> Double {
            var loss = 0.0
            for q in 0 ..< groups {
                let base = q * g
                var top = -Double.infinity
                for j in 0 ..< g { top = max(top, z[base + j]) }
                var sum = 0.0
                for j in 0 ..< g { sum += exp(z[base + j] - top) }
                loss += top + log(sum) - z[base]
            }
            for f in 0 ..< p { loss += 0.5 * l2 * b[f] * b[f] }
            return loss
        }

        computeScores(beta, into: &scores)
        var current = objective(beta, scores)
        var centred = [Float](repeating: 0, count: p * n)
        var hessianFloat = [Float](repeating: 0, count: p * p)
        var probability = [Double](repeating: 0, count: n)

        for _ in 0 ..< maxIterations {
            var gradient = beta.map { l2 * $0 }
            for q in 0 ..< groups {
                let base = q * g
                var top = -Double.infinity
                for j in 0 ..< g { top = max(top, scores[base + j]) }
                var sum = 0.0
                for j in 0 ..< g {
                    probability[base + j] = exp(scores[base + j] - top)
                    sum += probability[base + j]
                }
                for j in 0 ..< g { probability[base + j] /= sum }
            }
            x.withUnsafeBufferPointer { xs in
                centred.withUnsafeMutableBufferPointer { c in
                    for q in 0 ..< groups {
                        let base = q * g
                        for f in 0 ..< p {
                            let row = xs.baseAddress! + f * n + base
                            var m = 0.0
                            for j in 0 ..< g { m += probability[base + j] * Double(row[j]) }
                            // d(-log L)/dw_f = sum_j p_j x_j - x_0
                            gradient[f] += m - Double(row[0])
                            let out = c.baseAddress! + f * n + base
                            for j in 0 ..< g { out[j] = Float(probability[base + j].squareRoot() * (Double(row[j]) - m)) }
                        }
                    }
                }
            }
            centred.withUnsafeBufferPointer { c in
                hessianFloat.withUnsafeMutableBufferPointer { h in
                    BLAS.multiplyTransposed(a: c.baseAddress!, rowsA: p, b: c.baseAddress!, rowsB: p, dimension: n, into: h.baseAddress!)
                }
            }
            var hessian = hessianFloat.map(Double.init)
            for f in 0 ..< p { hessian[f * p + f] += l2 + 1e-9 * Double(groups) }
            guard let step = LogisticRegression.solve(hessian, gradient, p) else { break }

            guard let converged = LogisticRegression.lineSearch(
                beta: &beta, step: step, current: &current, tolerance: tolerance,
                evaluate: { computeScores($0, into: &trial); return objective($0, trial) },
                accept: { swap(&scores, &trial) }) else { break }
            if converged { break }
        }
        return ConditionalLogit(weights: beta)
    }

    /// `w . x` for each example (feature-major `x` of `count` examples).
    public func scores(x: [Float], count n: Int) -> [Double] {
        var z = [Double](repeating: 0, count: n)
        LogisticRegression.linearScores(x, weights: weights, features: weights.count, count: n, start: 0, into: &z)
        return z
    }
}
