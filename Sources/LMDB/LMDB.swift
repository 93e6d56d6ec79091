// Module LMDB.
