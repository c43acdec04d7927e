package api

// snapshotRoutes are the snapshot manager's routes. They arrive with the
// snapshot feature.
func (s *Server) snapshotRoutes() []Route { return nil }
