package api

// consoleRoutes are the graphical console's routes (VNC over WebSocket,
// screenshots). They arrive with the graphical console feature.
func (s *Server) consoleRoutes() []Route { return nil }
