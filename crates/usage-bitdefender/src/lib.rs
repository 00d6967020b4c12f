//! usage-bitdefender
