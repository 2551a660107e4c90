# Energy meters (issue 11): Modbus RTU meters on RS-485, an S0 pulse input, or none. Runs in an asyncio
# task outside the control step; the core reads the integers it leaves in a meter.reading.Reading.
