//! usage-eset
