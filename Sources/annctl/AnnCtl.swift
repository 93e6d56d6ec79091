import ArgumentParser

@main
struct AnnCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annctl",
        abstract: "Embedding retrieval server: import, build, query, evaluate and serve.",
        discussion: """
        A store is one directory (an LMDB environment) holding item and user embeddings, ids, \
        features and histories. Typical use: `annctl import` the files a training job wrote, then \
        `annctl query` (exact search until an ANN index is built).
        """,
        version: "0.1.0",
        subcommands: [Import.self, Build.self, Query.self, Info.self, Generate.self, TrainRanker.self, Eval.self,
                      Serve.self, Stats.self, Load.self])
}

/// The option every command that opens a store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Store directory (one LMDB environment).")
    var db: String
}
