package lookup

import "unsafe"

// addr is the address of b's first byte: the identity of a cache entry's bytes (the in-process tier
// hands out the same slice on every hit). Only compared, never dereferenced.
func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
