"""Recurrent layers: SimpleRNN, LSTM, GRU (one fused primitive per call), RNN with the cells
SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells (step by step), ConvLSTM1D/2D/3D, and the
wrappers Bidirectional and TimeDistributed."""

from deltaw.keras.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from deltaw.keras.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from deltaw.keras.layers.recurrent.gru import GRU
from deltaw.keras.layers.recurrent.lstm import LSTM
from deltaw.keras.layers.recurrent.rnn import RNN
from deltaw.keras.layers.recurrent.simple_rnn import SimpleRNN
from deltaw.keras.layers.recurrent.wrappers import Bidirectional, TimeDistributed, Wrapper

__all__ = ["GRU", "LSTM", "Bidirectional", "SimpleRNN", "TimeDistributed", "Wrapper", "RNN",
           "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D"]
