// Module VectorIndex.
