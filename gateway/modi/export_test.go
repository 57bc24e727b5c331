package modi

// IntegrityClaims lets the differential fuzz target of its decoder name integrityClaims.
type IntegrityClaims = integrityClaims
