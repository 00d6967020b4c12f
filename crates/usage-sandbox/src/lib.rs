//! usage-sandbox
