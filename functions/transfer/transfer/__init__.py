"""Transfer (이관): packages (BagIt bags) sent from one organisation to another, verified on both ends."""
