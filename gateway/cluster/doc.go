// Package cluster holds no code: its tests prove that several gateway replicas, each a real
// process of the gateway binary, behave as one service on a shared Redis (replay protection, rate
// limits, the shared cache) and that a replica killed mid-load loses no acknowledged audit record.
package cluster
