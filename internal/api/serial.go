package api

// serialRoutes are the serial console's routes. They arrive with the serial
// console feature.
func (s *Server) serialRoutes() []Route { return nil }
