//go:build !unix

package audit

import "os"

// lockFile on platforms without flock only creates the file: nothing stops two processes with the
// same instance id there. The gateway is deployed on Linux.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
}

func unlockFile(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}
