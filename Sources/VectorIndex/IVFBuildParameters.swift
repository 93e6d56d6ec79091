import VectorMath

/// How to build an IVF index (`annctl build --index ivf`).
public struct IVFBuildParameters: Sendable, Equatable {
    /// Number of lists (k-means clusters).
    public var lists: Int
    public var encoding: IVFEncoding
    /// Lists probed when a query does not say (nil: `defaultNprobe(lists:)`).
    public var nprobe: Int?
    /// Points k-means is trained on (nil: 64 per list), drawn uniformly (seeded) from the rows.
    public var sampleSize: Int?
    public var iterations: Int
    public var seed: UInt64
    public var initialization: KMeansInitialization
    /// Threads for the passes around BLAS (set OpenBLAS's own with `BLAS.setThreads`).
    public var threads: Int
    /// Train new centroids even when the store holds an index with the same number of lists
    /// (otherwise its centroids are kept and every row is assigned again).
    public var retrain: Bool
    /// Weight of `|q| * maxResidualNorm(list)` in the inner-product list ranking.
    public var boundWeight: Float

    public static let defaultSamplePerList = 64
    public static let defaultBoundWeight: Float = 0.2

    public init(lists: Int, encoding: IVFEncoding = .float32, nprobe: Int? = nil, sampleSize: Int? = nil,
                iterations: Int = 10, seed: UInt64 = 1, initialization: KMeansInitialization = .random,
                threads: Int = 1, retrain: Bool = false, boundWeight: Float = IVFBuildParameters.defaultBoundWeight) {
        self.lists = lists
        self.encoding = encoding
        self.nprobe = nprobe
        self.sampleSize = sampleSize
        self.iterations = iterations
        self.seed = seed
        self.initialization = initialization
        self.threads = threads
        self.retrain = retrain
        self.boundWeight = boundWeight
    }

    /// The default number of lists probed for `lists` lists: `ceil(sqrt(lists) / 2)` (32 of
    /// 4,000; on the clustered benchmark sets that is recall@10 of about 0.97-0.99).
    public static func defaultNprobe(lists: Int) -> Int {
        max(1, min(lists, Int((Double(lists).squareRoot() / 2).rounded(.up))))
    }

    func validate() throws {
        func check(_ ok: Bool, _ name: String, _ value: CustomStringConvertible, _ expected: String) throws {
            if !ok { throw IndexError.invalidParameter(name: name, value: value.description, expected: expected) }
        }
        try check(lists >= 1 && lists <= 1 << 24, "nlist", lists, "1...16777216")
        if let nprobe { try check(nprobe >= 1, "nprobe", nprobe, "at least 1") }
        if let sampleSize { try check(sampleSize >= lists, "sample size", sampleSize, "at least nlist (\(lists))") }
        try check(iterations >= 1, "iterations", iterations, "at least 1")
        try check(threads >= 1, "threads", threads, "at least 1")
        try check(boundWeight.isFinite && boundWeight >= 0, "bound weight", boundWeight, "a finite number >= 0")
    }
}
