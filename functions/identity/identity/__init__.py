"""Identity (사용자관리): organisations, users, memberships and roles."""
