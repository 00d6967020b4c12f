//! Workspace end-to-end tests (`tests/tests/*.rs`) and the shared vendor fixtures
//! (`tests/fixtures/{eset,bitdefender}/`). The library itself is empty.
