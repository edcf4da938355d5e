"""What every API view shares: the error shape, staff-and-model permissions, and cursor pages."""
